"""A running mean of floats."""
from . import Right, Wrong

TARGET = "running_mean"

ORIGINAL = '''
    """Streaming statistics."""


    def running_mean(xs):
        """The mean of each prefix of xs: [mean(xs[:1]), mean(xs[:2]), ...]."""
        out = []
        for i in range(len(xs)):
            out.append(sum(xs[: i + 1]) / (i + 1))
        return out
'''

TESTS = '''
    import pytest

    from lib.stats import running_mean


    def test_running_mean():
        assert running_mean([1.0, 2.0, 3.0, 6.0]) == pytest.approx([1.0, 1.5, 2.0, 3.0])


    def test_running_mean_of_tenths():
        assert running_mean([0.1, 0.2, 0.3, 0.4]) == pytest.approx([0.1, 0.15, 0.2, 0.25])
'''

WRONG = [
    Wrong('''
def running_mean(xs):
    total = sum(xs)
    out = [0.0] * len(xs)
    for i in range(len(xs) - 1, -1, -1):
        out[i] = total / (i + 1)
        total -= xs[i]
    return out
''', "returns a different value", "walks back from the total subtracting: different float rounding"),
    Wrong('''
def running_mean(xs):
    return [math.fsum(xs[: i + 1]) / (i + 1) for i in range(len(xs))]
''', "returns a different value", "fsum is more accurate, so rounds differently", ("import math",)),
    Wrong('''
def running_mean(xs):
    total = xs[0]
    out = [total / 1]
    for i in range(1, len(xs)):
        total += xs[i]
        out.append(total / (i + 1))
    return out
''', "raises where the original returns", "empty input mishandled (IndexError on xs[0])"),
]

RIGHT = [
    Right('''
def running_mean(xs):
    out = []
    total = 0
    for i, x in enumerate(xs, 1):
        total += x
        out.append(total / i)
    return out
''', "a running total: O(n) instead of O(n^2), same additions in the same order"),
    Right('''
def running_mean(xs):
    return [total / i for i, total in enumerate(itertools.accumulate(xs), 1)]
''', "itertools.accumulate", ("import itertools",)),
]
