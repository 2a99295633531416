"""Pure statistics for the keep/reject decision. No I/O, no timing here."""
from __future__ import annotations

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


def significant(ci: tuple[float, float], min_speedup: float) -> bool:
    """Keep only when the whole interval clears the threshold."""
    return ci[0] >= min_speedup
