"""Choosing a target's winner: a pure step over judgements (choose.py)."""
from optimizer.choose import change_size, choose_winner, final_fates
from optimizer.model import Candidate, Measurement, Outcome, Target

ORIGINAL = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
SMALL = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x + x)\n    return out\n"
BIG = "def f(xs):\n    return [x * 2 for x in xs]\n"
TARGET = Target("m.py", "m", "f", 1, 5, 0, len(ORIGINAL), ORIGINAL, "")


def judged(origin, source, speedup, ci, status="passed", bench=None):
    m = Measurement(speedup, ci, 1.0, 1.0 / speedup, 10)
    if bench:
        m.bench = Measurement(bench[0], bench[1], 1.0, 1.0, 5)
    return Outcome(Candidate(TARGET, origin, source), status, "faster", m)


def test_the_significantly_fastest_wins():
    slow, fast = judged("a", SMALL, 1.3, (1.2, 1.4)), judged("b", BIG, 2.0, (1.9, 2.1))
    assert choose_winner([slow, fast]) is fast


def test_overlapping_intervals_go_to_the_smaller_change():
    assert change_size(judged("a", SMALL, 1, (1, 1))) < change_size(judged("b", BIG, 1, (1, 1)))
    big, small = judged("big", BIG, 1.5, (1.3, 1.7)), judged("small", SMALL, 1.4, (1.25, 1.6))
    winner = choose_winner([big, small])
    assert winner is small
    fates = final_fates([big, small], winner)
    assert [o.status for o in fates] == ["rejected", "kept"]
    assert "but small is as fast within the intervals and a smaller change" in fates[0].reason


def test_end_to_end_figures_decide_between_equals():
    a = judged("a", SMALL, 1.5, (1.3, 1.7), bench=(1.05, (1.01, 1.08)))
    b = judged("b", BIG, 1.45, (1.3, 1.6), bench=(1.4, (1.3, 1.5)))
    assert choose_winner([a, b]) is b


def test_only_passed_candidates_can_win_and_fates_are_new_values():
    rejected = judged("r", BIG, 3.0, (2.9, 3.1), status="rejected")
    undecided = judged("u", BIG, 1.1, (1.0, 1.2), status="undecided")
    assert choose_winner([rejected, undecided]) is None
    passed = judged("p", SMALL, 1.2, (1.1, 1.3))
    fates = final_fates([rejected, passed, undecided], choose_winner([rejected, passed, undecided]))
    assert [o.status for o in fates] == ["rejected", "kept", "undecided"]
    assert passed.status == "passed"   # the judgement itself is not rewritten
