"""Rounds per target (after SysLLMatic): what to ask the model next, and when to stop.

Round 1 is a request like the others (`first_request`): every proposer is asked
for k candidates. Each later round asks the model
to repair up to two rejected near-misses (candidates that failed on behaviour,
shown the reason and the block trace) and to refine the best kept version
(shown its measured speedup and its own line profile). The rounds stop when:
- the budget is spent;
- the best speedup grew by no more than EPSILON over the last two rounds;
- Amdahl says more is pointless: after the best edit, the target's share of
  the workload is under NEGLIGIBLE, so even an infinitely fast version would
  save less than that;
- or after --model-rounds rounds.
Pure functions: the loop does the asking and the measuring.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Outcome

EPSILON = 0.02        # a gain below 2% in the best speedup is no gain
NEGLIGIBLE = 0.01     # of the workload's time left in the target
NEAR_MISS_STAGES = ("import", "tests", "equivalence")   # failed on behaviour, not on policy or parsing
REPAIRS_PER_ROUND = 2


@dataclass(frozen=True)
class Request:
    mode: str          # "optimize" (round 1), "repair" or "refine"
    step: str          # e.g. "r2/repair-1": names the request in caches and transcripts
    outcome: Outcome | None   # the near-miss to repair, or the best one to refine (None in round 1)
    k: int


def first_request(k: int) -> Request:
    return Request("optimize", "r1/optimize", None, k)


def next_requests(round_no: int, last_round: list[Outcome], best: Outcome | None, k: int) -> list[Request]:
    misses = [o for o in last_round if o.status == "rejected" and o.stage in NEAR_MISS_STAGES
              and o.candidate.source][:REPAIRS_PER_ROUND]
    requests = [Request("repair", f"r{round_no}/repair-{i + 1}", o, 1) for i, o in enumerate(misses)]
    if best is not None:
        requests.append(Request("refine", f"r{round_no}/refine", best, max(1, k // 2)))
    return requests


def stop_reason(round_no: int, max_rounds: int, budget_exhausted: bool, history: list[float],
                share: float | None) -> str:
    """Why not to start round `round_no` ('' to go on). history: the best speedup
    after each finished round (1.0 while nothing is kept)."""
    if round_no > max_rounds:
        return f"{max_rounds} rounds done"
    if budget_exhausted:
        return "the model budget is spent"
    best = history[-1] if history else 1.0
    if share is not None and share / best < NEGLIGIBLE:
        return (f"Amdahl: after the best edit the target takes {100 * share / best:.2f}% of the workload; "
                "further gains are negligible")
    if len(history) >= 3 and history[-1] <= history[-3] * (1 + EPSILON):
        return f"no gain above {EPSILON:.0%} for two rounds"
    return ""


def repair_feedback(outcome: Outcome) -> str:
    return outcome.reason + (f"\n\nWhere it departs from the original, block by block:\n\n{outcome.trace}"
                             if outcome.trace else "")


def refine_feedback(outcome: Outcome) -> str:
    m = outcome.measurement
    text = f"{m.speedup:.2f}x faster than the original [{m.ci[0]:.2f}, {m.ci[1]:.2f}] on {m.workload}"
    if m.bench is not None:
        text += f"; end to end {m.bench.speedup:.2f}x"
    return text + "."
