"""Merging dicts of counts."""
from . import Right, Wrong

TARGET = "merge_counts"

ORIGINAL = '''
    """Word counts."""


    def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
        """The sum of several {word: count} dicts, as a new dict with the words in
        order of first appearance. The inputs are not modified."""
        words = []
        for counter in counters:
            for word in counter:
                if word not in words:
                    words.append(word)
        return {word: sum(counter.get(word, 0) for counter in counters) for word in words}
'''

TESTS = '''
    from lib.counts import merge_counts


    def test_merge():
        merged = merge_counts([{"a": 1, "b": 2}, {"b": 3, "c": 1}, {"d": 4, "e": 1, "f": 2}])
        assert merged == {"a": 1, "b": 5, "c": 1, "d": 4, "e": 1, "f": 2}


    def test_merge_one():
        assert merge_counts([{"x": 2, "y": 1, "z": 5}])["z"] == 5
'''

WRONG = [
    Wrong('''
def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
    merged = counters[0]
    for counter in counters[1:]:
        for word, n in counter.items():
            merged[word] = merged.get(word, 0) + n
    return merged
''', "mutates argument #0 differently", "reuses (and modifies) the caller's first dict"),
    Wrong('''
def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
    words = set().union(*counters)
    return {word: sum(counter.get(word, 0) for counter in counters) for word in words}
''', "returns a different value", "key order follows hash (set) order"),
    Wrong('''
def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
    return dict(sum(map(Counter, counters), Counter()))
''', "returns a different value", "Counter addition drops zero and negative totals",
          ("from collections import Counter",)),
    Wrong('''
def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
    total = Counter()
    for counter in counters:
        total.update(counter)
    return total
''', "returns a different value", "returns a Counter, not a dict (missing words give 0, not KeyError)",
          ("from collections import Counter",)),
]

RIGHT = [
    Right('''
def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
    merged = {}
    for counter in counters:
        for word, n in counter.items():
            merged[word] = merged.get(word, 0) + n
    return merged
''', "one pass with dict lookups instead of a list scan and a sum per word"),
    Right('''
def merge_counts(counters: list[dict[str, int]]) -> dict[str, int]:
    merged = {}
    get = merged.get
    for counter in counters:
        for word in counter:
            merged[word] = get(word, 0) + counter[word]
    return merged
''', "one pass, bound method hoisted"),
]
