"""The keep/reject decision on a measurement, in plain words. Pure functions.

A decision is one of three (issue #13):
- kept: the speedup's whole interval clears the threshold, raised by the offset an
  identical copy surely showed in this target's A/A calibration (`noise`,
  `required`): a candidate must clear --min-speedup by more than the bias that
  measuring the original against itself shows;
- rejected: the interval lies below that, or straddles it on a machine that was
  quiet enough to have told (it is not surely faster by enough);
- undecided: the interval straddles it and the machine was busy: BUSY_SHARE or
  more of the samples waited for a CPU, or the A/A interval itself reached the
  threshold. More rounds did not settle it within the time budget, so the tool
  says so instead of guessing. Never kept.
"""
from __future__ import annotations

from ..model import Measurement
from . import stats

BUSY_SHARE = 0.25   # from this share of disturbed samples on (runner), the machine counts as busy
KEPT, REJECTED, UNDECIDED = "kept", "rejected", "undecided"


def decide(m: Measurement, objective: str, min_speedup: float,
           noise: tuple[float, float, float] | None = None) -> tuple[str, str]:
    """(status, why). time: the speedup interval clears min_speedup times the A/A offset
    (noise: the A/A's speedup, low, high). memory: peak memory falls by min_speedup or
    more and time is not significantly worse. With an end-to-end confirmation, a
    candidate that is significantly slower end to end is rejected."""
    span = _span(m)
    if objective == "memory":
        if not m.peak_bytes:
            return REJECTED, "peak memory could not be measured"
        before, after = m.peak_bytes
        ratio = before / max(after, 1)
        memory = f"peak memory {_mb(before)} -> {_mb(after)} ({ratio:.2f}x less)"
        if ratio < min_speedup:
            return REJECTED, f"not leaner: {memory}, below --min-speedup {min_speedup}x"
        if m.ci[1] < 1.0:
            return REJECTED, f"leaner but slower: {memory}; time {span}"
        status, why = KEPT, f"leaner: {memory}; time {span}"
    else:
        status, why = time_decision(m, min_speedup, noise)
        if status != KEPT:
            return status, why
    if m.bench is not None:
        end_to_end = f"end to end {_span(m.bench)}"
        if m.bench.ci[1] < 1.0:
            return REJECTED, f"{why}, but slower {end_to_end}"
        why += f"; {end_to_end}"
    return status, why


def required(min_speedup: float, noise: tuple[float, float, float] | None) -> float:
    """The threshold a candidate's interval must clear: min_speedup raised by the offset
    an identical copy surely showed in the A/A: the end of its interval nearest 1 when
    the interval excludes 1, either way (a copy measured [1.02, 1.06] or [0.94, 0.98]
    both say that this machine and target put at least 2% between two equal programs).
    Only what is sure: a 6-round A/A's point estimate alone wanders by several percent,
    and raising the bar by that would turn true gains away at random. An A/A interval
    that is merely wide says the machine is noisy, which busy() reports instead."""
    if not noise:
        return min_speedup
    _, low, high = noise
    offset = low if low > 1 else 1 / high if high < 1 else 1.0
    return min_speedup * offset


def busy(m: Measurement, min_speedup: float, noise: tuple[float, float, float] | None) -> str:
    """Why this measurement's machine was too busy to decide a close call ('' if it was not)."""
    why = []
    if m.disturbed >= BUSY_SHARE:
        why.append(f"{m.disturbed:.0%} of the samples waited for a CPU")
    if noise and (noise[2] >= min_speedup or noise[1] <= 1 / min_speedup):
        why.append(f"an identical copy measured {noise[0]:.3f}x [{noise[1]:.3f}, {noise[2]:.3f}]")
    return "; ".join(why)


def time_decision(m: Measurement, min_speedup: float,
                  noise: tuple[float, float, float] | None = None) -> tuple[str, str]:
    span = _span(m)
    need = required(min_speedup, noise)
    raised = f" (--min-speedup {min_speedup}x raised by the A/A offset {need / min_speedup:.3f}x)" \
        if need > min_speedup else ""
    low, high = m.ci
    if low >= need:
        return KEPT, f"faster: {span}" + (f", clears {need:.3f}x{raised}" if raised else "")
    if high < need:
        why = "not faster" if low < 1.0 else f"faster, but not surely by --min-speedup {min_speedup}x"
        return REJECTED, f"{why}: {span}" + (f", below {need:.3f}x{raised}" if raised and high >= min_speedup else "")
    too_busy = busy(m, min_speedup, noise)
    span = _span(m, 3)   # a close call: two decimals could print [0.95, 1.05] for an interval reaching 1.053
    if too_busy:
        return UNDECIDED, (f"undecided: machine too busy: {span} straddles {need:.3f}x{raised} after "
                           f"{m.samples} rounds; {too_busy}")
    why = "not faster" if low < 1.0 else f"faster, but not surely by --min-speedup {min_speedup}x"
    return REJECTED, f"{why}: {span}" + (f", straddles {need:.3f}x{raised}" if raised else "")


def second_opinion(time_speedup: float, instructions: float, min_speedup: float) -> str:
    """'' when the instruction count agrees with the time; else why the keep is blocked.
    They disagree when instructions show less than a third of the gain time shows and do
    not clear the threshold themselves (time 1.30x, instructions 1.00x): a speedup the
    work done does not explain was more likely made by the measurement than by the code.
    A third leaves room for what counts differ in honestly (memory stalls, C calls)."""
    if instructions >= min_speedup or instructions - 1 >= (time_speedup - 1) / 3:
        return ""
    return (f"time says {time_speedup:.2f}x but the instruction count says {instructions:.2f}x: "
            f"a gain the work done does not explain is not kept")


def _span(m: Measurement, digits: int = 2) -> str:
    unit = " cpu time" if m.metric == "cpu time" else ""
    return f"{m.speedup:.{digits}f}x [{m.ci[0]:.{digits}f}, {m.ci[1]:.{digits}f}]{unit}"


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"
