"""A generator of chunks."""
from . import Right, Wrong

TARGET = "chunked"

ORIGINAL = '''
    """Batching."""


    def chunked(items, size):
        """Yield lists of `size` consecutive items of any iterable; the last may be
        shorter. A size below 1 raises ValueError when iteration starts."""
        if size < 1:
            raise ValueError("size must be at least 1")
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
'''

TESTS = '''
    from lib.chunks import chunked


    def test_chunk_sizes():
        for chunk in chunked([1, 2, 3, 4, 5, 6], 2):
            assert len(chunk) == 2


    def test_chunk_count():
        assert len(list(chunked("abcdefghi", 3))) == 3
'''

WRONG = [
    Wrong('''
def chunked(items, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(items)
    while True:
        chunk = list(itertools.islice(it, size))
        if len(chunk) < size:
            return
        yield chunk
''', "returns a different value", "the last, shorter chunk is dropped", ("import itertools",)),
    Wrong('''
def chunked(items, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk.clear()
    if chunk:
        yield chunk
''', "returns a different value", "reuses one list for every chunk (earlier chunks get emptied)"),
    Wrong('''
def chunked(items, size):
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
''', "returns a different value", "returns a list, not a lazy iterator"),
    Wrong('''
def chunked(items, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(items)
    return iter(lambda: list(itertools.islice(it, size)), [])
''', "raises where the original returns", "validates eagerly: raises at the call, not when iterated",
          ("import itertools",)),
    Wrong('''
def chunked(items, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    for i in range(0, len(items), size):
        yield list(items[i:i + size])
''', "returns a different value at (iterator end)", "needs len() and slicing: fails on a generator or any one-shot iterator"),
]

RIGHT = [
    Right('''
def chunked(items, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(items)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk
''', "itertools.islice builds each chunk in C", ("import itertools",)),
    Right('''
def chunked(items, size):
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(items)
    rest = size - 1
    for first in it:
        chunk = [first]
        chunk.extend(itertools.islice(it, rest))
        yield chunk
''', "islice for all but the first item of each chunk", ("import itertools",)),
]
