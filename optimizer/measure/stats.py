"""Pure statistics for the keep/reject decision. No I/O, no timing here."""
from __future__ import annotations

import math
import random
import statistics


def median(values: list[float]) -> float:
    return statistics.median(values)


def speedup(baseline: list[float], candidate: list[float]) -> float:
    """Ratio of medians: above 1 means the candidate is faster."""
    return median(baseline) / median(candidate)


def bootstrap_ci(baseline: list[float], candidate: list[float], confidence: float = 0.95,
                 resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the ratio of medians, resampling each side
    independently. Seeded: the same samples always give the same interval."""
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        b = [rng.choice(baseline) for _ in baseline]
        c = [rng.choice(candidate) for _ in candidate]
        ratios.append(median(b) / median(c))
    ratios.sort()
    alpha = (1 - confidence) / 2
    low = ratios[int(alpha * (resamples - 1))]
    high = ratios[int((1 - alpha) * (resamples - 1))]
    return low, high


def trimmed_mean(values: list[float], trim: float = 0.2) -> float:
    """Mean of what is left after cutting `trim` of the values off each end: nearly as
    steady as the mean on clean samples, as robust as the median to a few wild ones."""
    ordered = sorted(values)
    k = int(trim * len(ordered))
    kept = ordered[k:len(ordered) - k] or ordered
    return sum(kept) / len(kept)


def paired_speedup(baseline: list[float], candidate: list[float], trim: float = 0.2) -> float:
    """Speedup from pairs measured side by side in time (baseline[i] with candidate[i]):
    the trimmed mean of the log ratios, as a ratio. A change in the machine's load that
    hits both halves of a pair cancels in its ratio, which separate medians cannot do."""
    return math.exp(trimmed_mean(_log_ratios(baseline, candidate), trim))


def paired_ci(baseline: list[float], candidate: list[float], confidence: float = 0.95, resamples: int = 2000,
              seed: int = 0, trim: float = 0.2) -> tuple[float, float]:
    """Percentile bootstrap interval of paired_speedup, resampling whole pairs. Seeded."""
    _log_ratios(baseline, candidate)   # the same number of each, or ValueError
    return ratio_ci([max(a, 1e-12) / max(b, 1e-12) for a, b in zip(baseline, candidate)],
                    confidence, resamples, seed, trim)


def ratio_speedup(ratios: list[float], trim: float = 0.2) -> float:
    """paired_speedup from the pairs' ratios (baseline / candidate) themselves."""
    return math.exp(trimmed_mean([math.log(max(r, 1e-12)) for r in ratios], trim))


def ratio_ci(ratios: list[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0,
             trim: float = 0.2) -> tuple[float, float]:
    """paired_ci from the pairs' ratios: percentile bootstrap over pairs. Seeded."""
    if not ratios:
        raise ValueError("pairs needed: no ratios")
    logs = [math.log(max(r, 1e-12)) for r in ratios]
    rng, n = random.Random(seed), len(logs)
    estimates = sorted(trimmed_mean([logs[rng.randrange(n)] for _ in range(n)], trim) for _ in range(resamples))
    alpha = (1 - confidence) / 2
    return (math.exp(estimates[int(alpha * (resamples - 1))]),
            math.exp(estimates[int((1 - alpha) * (resamples - 1))]))


def _log_ratios(baseline: list[float], candidate: list[float]) -> list[float]:
    if len(baseline) != len(candidate) or not baseline:
        raise ValueError(f"pairs needed: {len(baseline)} baseline and {len(candidate)} candidate values")
    return [math.log(max(a, 1e-12) / max(b, 1e-12)) for a, b in zip(baseline, candidate)]


def significant(ci: tuple[float, float], min_speedup: float) -> bool:
    """Keep only when the whole interval clears the threshold."""
    return ci[0] >= min_speedup


def first_call_gains(first_a: list[float], warm_a: list[float], first_b: list[float],
                     warm_b: list[float]) -> tuple[float, float]:
    """(original, candidate): how much faster a repeated pass over the calls is than the
    first pass in a fresh process, as medians of seconds per pass."""
    return median(first_a) / median(warm_a), median(first_b) / median(warm_b)


def caches(first_a: list[float], warm_a: list[float], first_b: list[float], warm_b: list[float],
           factor: float = 2.0) -> bool:
    """Does the candidate cache results between calls, judged by behaviour?

    Yes when both hold:
    - its repeated calls gain more than `factor` times what the original's gain over
      their first calls (medians; equivalently, its warm speedup is more than `factor`
      times its first-call speedup), and
    - its first-call speedup's interval lies wholly below its warm speedup's: first
      passes of tiny functions are noisy, and a few slow cold processes alone must
      not make a candidate look like a cache.
    A first-call cost both sides pay (imports, the interpreter warming up) cancels in
    the ratio; a cache, which only the candidate has, does not.
    """
    gain_a, gain_b = first_call_gains(first_a, warm_a, first_b, warm_b)
    if gain_b <= factor * gain_a:
        return False
    return bootstrap_ci(first_a, first_b)[1] < bootstrap_ci(warm_a, warm_b)[0]
