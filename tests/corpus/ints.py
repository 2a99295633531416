"""A parser raising ValueError with a message, with a faster rewrite."""
from . import Right, Wrong

TARGET = "parse_ints"

ORIGINAL = '''
    """Reading rows of numbers."""


    def parse_ints(text):
        """'1, 2, -3' -> [1, 2, -3]: comma-separated integers (ASCII digits, an
        optional leading minus, spaces around items). Blank text gives []; anything
        else raises ValueError naming the first bad item."""
        if not text.strip():
            return []
        out = []
        token = ""
        for ch in text + ",":
            if ch != ",":
                token += ch
                continue
            item = token.strip()
            digits = item[1:] if item.startswith("-") else item
            if not digits or not all("0" <= c <= "9" for c in digits):
                raise ValueError(f"not an integer: {item!r}")
            out.append(int(item))
            token = ""
        return out
'''

TESTS = '''
    import pytest

    from lib.ints import parse_ints


    def test_row():
        assert parse_ints("3, 14, 15, -92, 65") == [3, 14, 15, -92, 65]


    def test_bad_item():
        with pytest.raises(ValueError):
            parse_ints("1, x, 2")
'''

WRONG = [
    Wrong('''
def parse_ints(text):
    if not text.strip():
        return []
    return [int(item) for item in text.split(",")]
''', "raises a different exception", "int()'s own message does not say 'not an integer' (and it accepts '+1', '1_0')"),
    Wrong('''
def parse_ints(text):
    out = []
    for item in text.split(","):
        item = item.strip()
        digits = item[1:] if item[:1] == "-" else item
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"not an integer: {item!r}")
        out.append(int(item))
    return out
''', "raises where the original returns", "empty input mishandled: blank text raises instead of giving []"),
    Wrong('''
@functools.lru_cache(maxsize=1024)
def parse_ints(text):
    if not text.strip():
        return []
    out = []
    for item in text.split(","):
        item = item.strip()
        digits = item[1:] if item[:1] == "-" else item
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"not an integer: {item!r}")
        out.append(int(item))
    return out
''', "returns the same object on repeated calls", "memoized: every call with the same text returns the same list object, so a caller "
          "appending to one result changes the next", ("import functools",)),
]

RIGHT = [
    Right('''
def parse_ints(text):
    if not text.strip():
        return []
    out = []
    for item in text.split(","):
        item = item.strip()
        digits = item[1:] if item[:1] == "-" else item
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"not an integer: {item!r}")
        out.append(int(item))
    return out
''', "str.split and C-level digit checks instead of a loop per character"),
]
