"""Dedupe keeping first occurrences."""
from . import Right, Wrong

TARGET = "unique"


ORIGINAL = '''
    """Small helpers over sequences."""


    def unique(items):
        """The distinct items (hashable), in order of first occurrence."""
        seen = []
        out = []
        for item in items:
            if item not in seen:
                seen.append(item)
                out.append(item)
        return out
'''

TESTS = '''
    from lib.dedupe import unique


    def test_unique_removes_duplicates():
        assert sorted(unique([3, 1, 3, 2, 1])) == [1, 2, 3]


    def test_unique_words():
        assert len(unique(["pear", "apple", "pear"])) == 2
'''

WRONG = [
    Wrong('''
def unique(items):
    return list(set(items))
''', "returns a different value", "order of first occurrence lost (set order)"),
    Wrong('''
def unique(items):
    return list(dict.fromkeys(reversed(items)))[::-1]
''', "returns a different value", "keeps the last occurrence instead of the first"),
    Wrong('''
def unique(items):
    if len(set(items)) == len(items):
        return items                    # fast path: nothing to remove
    return list(dict.fromkeys(items))
''', "returns an argument itself where the original returns a new object", "returns the caller's own list when it has no duplicates (an alias, not a new list)"),
    Wrong('''
def unique(items):
    seen = set()
    items[:] = [x for x in items if not (x in seen or seen.add(x))]
    return items
''', "mutates argument #0 differently", "dedupes the caller's list in place"),
]

RIGHT = [
    Right('''
def unique(items):
    return list(dict.fromkeys(items))
''', "dict.fromkeys: one hashed pass in C"),
    Right('''
def unique(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
''', "a set for the seen test"),
]
