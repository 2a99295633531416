"""Normalizing a list in place."""
from . import Right, Wrong

TARGET = "normalize"

ORIGINAL = '''
    """Weights."""


    def normalize(values):
        """Scale the list in place so that it sums to 1; returns None.
        An empty list is left as it is; a zero total raises ZeroDivisionError."""
        total = 0
        for v in values:
            total = total + v
        for i in range(len(values)):
            values[i] = values[i] / total
'''

TESTS = '''
    import math

    from lib.normalize import normalize


    def test_normalize_sums_to_one():
        weights = [0.1, 0.7, 0.2]
        normalize(weights)
        assert math.isclose(sum(weights), 1.0)


    def test_normalize_keeps_ratios():
        weights = [2, 2]
        normalize(weights)
        assert weights == [0.5, 0.5]
'''

WRONG = [
    Wrong('''
def normalize(values):
    inverse = 1 / sum(values) if values else 0
    values[:] = [v * inverse for v in values]
''', "mutates argument #0 differently", "multiplies by the reciprocal: different rounding"),
    Wrong('''
def normalize(values):
    total = math.fsum(values)
    values[:] = [v / total for v in values]
''', "mutates argument #0 differently", "math.fsum: a differently rounded total", ("import math",)),
    Wrong('''
def normalize(values):
    total = sum(values)
    values[:] = [v / total for v in values]
    return values
''', "returns a different value", "also returns the list (callers relying on None break)"),
    Wrong('''
def normalize(values):
    total = sum(values) or 1
    values[:] = [v / total for v in values]
''', "returns where the original raises", "a zero total no longer raises (silently divides by 1)"),
]

RIGHT = [
    Right('''
def normalize(values):
    total = sum(values)
    values[:] = [v / total for v in values]
''', "sum() and one list comprehension instead of two Python loops with indexing"),
    Right('''
def normalize(values):
    total = sum(values)
    for i, v in enumerate(values):
        values[i] = v / total
''', "sum() in C and no double indexing"),
]
