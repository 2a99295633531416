"""Choosing a target's winner among its passed candidates: a pure step after judging.

The fastest by the measured speedup leads. Candidates whose 95% intervals overlap
the leader's are not significantly slower, so they are its equals; among equals,
the end-to-end figures (--bench) decide when every one of them has them (again
only by a significant margin), and then the smaller change wins: fewer changed
lines and added imports are less to review and less to go wrong. Ties after that
go to the higher speedup.
"""
from __future__ import annotations

from dataclasses import replace

from .model import Measurement, Outcome


def choose_winner(outcomes: list[Outcome] | tuple[Outcome, ...]) -> Outcome | None:
    passed = [o for o in outcomes if o.status == "passed" and o.measurement is not None]
    if not passed:
        return None
    equals = _equals(passed, lambda o: o.measurement)
    if all(o.measurement.bench is not None for o in equals):
        equals = _equals(equals, lambda o: o.measurement.bench)
    return min(equals, key=lambda o: (change_size(o), -o.measurement.speedup))


def final_fates(outcomes: list[Outcome] | tuple[Outcome, ...], winner: Outcome | None) -> tuple[Outcome, ...]:
    """The outcomes with the winner "kept" and every other passed one "rejected", saying why."""
    out = []
    for o in outcomes:
        if o is winner:
            o = replace(o, status="kept")
        elif o.status == "passed":
            o = replace(o, status="rejected", reason=f"{o.reason}, {_why_not(o, winner)}")
        out.append(o)
    return tuple(out)


def change_size(outcome: Outcome) -> int:
    """Changed lines of the definition plus imports added: the size of what a reviewer reads."""
    lines = [ln for ln in outcome.diff().splitlines()
             if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return len(lines) + len(outcome.candidate.imports)


def _equals(outcomes: list[Outcome], figure) -> list[Outcome]:
    """Those not significantly slower than the fastest by `figure` (intervals overlap)."""
    lead = max(outcomes, key=lambda o: figure(o).speedup)
    return [o for o in outcomes if _overlap(figure(o), figure(lead))]


def _overlap(a: Measurement, b: Measurement) -> bool:
    return a.ci[1] >= b.ci[0] and b.ci[1] >= a.ci[0]


def _why_not(loser: Outcome, winner: Outcome | None) -> str:
    if winner is None:   # cannot happen for a passed one; kept for total functions
        return "but it was not chosen"
    lm, wm, name = loser.measurement, winner.measurement, winner.candidate.origin
    if not _overlap(lm, wm):
        return f"but {name} was faster"
    if lm.bench is not None and wm.bench is not None and not _overlap(lm.bench, wm.bench):
        return f"but {name} was as fast on the calls and faster end to end"
    if change_size(winner) < change_size(loser):
        return (f"but {name} is as fast within the intervals and a smaller change "
                f"({change_size(winner)} against {change_size(loser)} changed lines)")
    return f"but {name} is as fast within the intervals, as small a change, and measured faster"
