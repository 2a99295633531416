"""The keep/reject decision on a measurement, in plain words. Pure functions."""
from __future__ import annotations

from ..model import Measurement
from . import stats


def decide(m: Measurement, objective: str, min_speedup: float) -> tuple[bool, str]:
    """(keep?, why). time: the speedup interval clears min_speedup. memory: peak memory
    falls by min_speedup or more and time is not significantly worse. With an end-to-end
    confirmation, a candidate that is significantly slower end to end is rejected."""
    span = _span(m)
    if objective == "memory":
        if not m.peak_bytes:
            return False, "peak memory could not be measured"
        before, after = m.peak_bytes
        ratio = before / max(after, 1)
        memory = f"peak memory {_mb(before)} -> {_mb(after)} ({ratio:.2f}x less)"
        if ratio < min_speedup:
            return False, f"not leaner: {memory}, below --min-speedup {min_speedup}x"
        if m.ci[1] < 1.0:
            return False, f"leaner but slower: {memory}; time {span}"
        ok, why = True, f"leaner: {memory}; time {span}"
    else:
        if not stats.significant(m.ci, min_speedup):
            why = "not faster" if m.ci[0] < 1.0 else f"faster, but not surely by --min-speedup {min_speedup}x"
            return False, f"{why}: {span}"
        ok, why = True, f"faster: {span}"
    if m.bench is not None:
        end_to_end = f"end to end {_span(m.bench)}"
        if m.bench.ci[1] < 1.0:
            return False, f"{why}, but slower {end_to_end}"
        why += f"; {end_to_end}"
    return ok, why


def _span(m: Measurement) -> str:
    return f"{m.speedup:.2f}x [{m.ci[0]:.2f}, {m.ci[1]:.2f}]"


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"
