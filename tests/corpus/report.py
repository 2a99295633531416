"""A function that prints a summary (and warns on stderr)."""
from . import Right, Wrong

TARGET = "summarize"

ORIGINAL = '''
    """Reports."""
    import sys


    def summarize(counts: dict[str, int]) -> dict[str, int]:
        """Print one line per name (sorted) with its share of the total, then the
        total; warn on stderr about names with no entries. Returns the shares in
        whole percent."""
        total = 0
        for name in counts:
            total += counts[name]
        shares = {}
        for name in sorted(counts):
            count = counts[name]
            if count == 0:
                print("warning: no entries for " + name, file=sys.stderr)
            share = round(100 * count / total) if total else 0
            shares[name] = share
            print(name + ": " + str(count) + " (" + str(share) + "%)")
        print("total: " + str(total))
        return shares
'''

TESTS = '''
    from lib.report import summarize


    def test_shares():
        assert summarize({"apples": 3, "pears": 1}) == {"apples": 75, "pears": 25}


    def test_single():
        assert summarize({"kiwis": 2})["kiwis"] == 100
'''

WRONG = [
    Wrong('''
def summarize(counts: dict[str, int]) -> dict[str, int]:
    total = sum(counts.values())
    shares = {}
    lines = []
    for name in sorted(counts):
        count = counts[name]
        if count == 0:
            print("warning: no entries for " + name, file=sys.stderr)
        share = round(100 * count / total, 0) if total else 0
        shares[name] = share
        lines.append(f"{name}: {count} ({share:.0f}%)")
    lines.append(f"total: {total}")
    print("\\n".join(lines))
    return shares
''', "returns a different value", "round(x, 0) returns a float: 75.0 instead of 75"),
    Wrong('''
def summarize(counts: dict[str, int]) -> dict[str, int]:
    total = sum(counts.values())
    shares = {}
    lines = []
    for name in sorted(counts):
        count = counts[name]
        if count == 0:
            print("warning: no entries for " + name, file=sys.stderr)
        share = round(100 * count / total) if total else 0
        shares[name] = share
        lines.append(f"{name}: {count} ({share}%)")
    print("\\n".join(lines))
    return shares
''', "prints different output", "the total line is no longer printed"),
    Wrong('''
def summarize(counts: dict[str, int]) -> dict[str, int]:
    total = sum(counts.values())
    shares = {}
    for name, count in counts.items():
        if count == 0:
            print("warning: no entries for " + name, file=sys.stderr)
        share = round(100 * count / total) if total else 0
        shares[name] = share
        print(f"{name}: {count} ({share}%)")
    print(f"total: {total}")
    return dict(sorted(shares.items()))
''', "prints different output", "lines printed in the dict's order, not sorted"),
    Wrong('''
def summarize(counts: dict[str, int]) -> dict[str, int]:
    total = sum(counts.values())
    shares = {}
    lines = []
    for name in sorted(counts):
        count = counts[name]
        share = round(100 * count / total) if total else 0
        shares[name] = share
        lines.append(f"{name}: {count} ({share}%)")
    lines.append(f"total: {total}")
    print("\\n".join(lines))
    return shares
''', "writes different output to stderr", "the warning about empty names is dropped"),
]

RIGHT = [
    Right('''
def summarize(counts: dict[str, int]) -> dict[str, int]:
    total = sum(counts.values())
    shares = {}
    lines = []
    for name in sorted(counts):
        count = counts[name]
        if count == 0:
            print("warning: no entries for " + name, file=sys.stderr)
        share = round(100 * count / total) if total else 0
        shares[name] = share
        lines.append(f"{name}: {count} ({share}%)")
    lines.append(f"total: {total}")
    print("\\n".join(lines))
    return shares
''', "sum() for the total and one print of the joined lines"),
]
