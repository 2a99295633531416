"""A parser raising ValueError with a message (wrong candidates only)."""
from . import Wrong

TARGET = "parse_duration"

ORIGINAL = '''
    """Human-friendly durations."""

    UNITS = {"h": 3600, "m": 60, "s": 1}


    def parse_duration(text):
        """'1h30m' -> 5400 (seconds). Each unit (h, m, s) at most once and in that
        order, each after ASCII digits; anything else raises ValueError."""
        total = 0
        digits = ""
        last = -1
        for ch in text:
            if "0" <= ch <= "9":
                digits += ch
            elif ch in UNITS:
                rank = "hms".index(ch)
                if not digits or rank <= last:
                    raise ValueError(f"bad duration: {text!r}")
                total += int(digits) * UNITS[ch]
                digits = ""
                last = rank
            else:
                raise ValueError(f"bad duration: {text!r}")
        if digits or last < 0:
            raise ValueError(f"bad duration: {text!r}")
        return total
'''

TESTS = '''
    import pytest

    from lib.durations import parse_duration


    def test_examples():
        assert parse_duration("1h30m") == 5400
        assert parse_duration("45s") == 45
        assert parse_duration("2h5s") == 7205


    def test_missing_unit():
        with pytest.raises(ValueError):
            parse_duration("90")
'''

WRONG = [
    Wrong('''
def parse_duration(text):
    total = 0
    digits = ""
    last = -1
    for ch in text:
        if "0" <= ch <= "9":
            digits += ch
            continue
        seconds = UNITS[ch]
        rank = "hms".index(ch)
        if not digits or rank <= last:
            raise ValueError(f"bad duration: {text!r}")
        total += int(digits) * seconds
        digits = ""
        last = rank
    if digits or last < 0:
        raise ValueError(f"bad duration: {text!r}")
    return total
''', "raises a different exception", "an unknown unit raises KeyError, not ValueError"),
    Wrong('''
def parse_duration(text):
    m = re.fullmatch(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?", text)
    if not text or m is None:
        raise ValueError("bad duration")
    h, m_, s = m.groups()
    return int(h or 0) * 3600 + int(m_ or 0) * 60 + int(s or 0)
''', "raises a different exception", "the message no longer names the text", ("import re",)),
    Wrong('''
def parse_duration(text):
    parts = re.findall(r"([0-9]+)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration: {text!r}")
    return sum(int(n) * UNITS[u] for n, u in parts)
''', "returns where the original raises", "units repeated or out of order are accepted", ("import re",)),
]

# A regular expression is no faster on durations this short (~1 us either way): no
# right candidate here; tests/corpus/ints.py has the parser with a faster rewrite.
RIGHT = []
