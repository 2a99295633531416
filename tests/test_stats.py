import random

import pytest

from optimizer.measure import stats


def test_speedup_is_ratio_of_medians():
    assert stats.speedup([2.0, 2.0, 9.0], [1.0, 1.0, 0.1]) == 2.0


def test_interval_brackets_a_clear_twofold_gain():
    rng = random.Random(3)
    base = [1.0 + rng.gauss(0, 0.02) for _ in range(30)]
    cand = [0.5 + rng.gauss(0, 0.01) for _ in range(30)]
    low, high = stats.bootstrap_ci(base, cand)
    assert 1.9 < low < 2.0 < high < 2.1
    assert stats.significant((low, high), 1.05)


def test_identical_distributions_are_not_significant():
    rng = random.Random(4)
    base = [1.0 + rng.gauss(0, 0.05) for _ in range(30)]
    cand = [1.0 + rng.gauss(0, 0.05) for _ in range(30)]
    ci = stats.bootstrap_ci(base, cand)
    assert ci[0] < 1.0 < ci[1]
    assert not stats.significant(ci, 1.05)


def test_interval_is_deterministic():
    base, cand = [1.0, 1.1, 0.9, 1.05], [0.8, 0.7, 0.75, 0.9]
    assert stats.bootstrap_ci(base, cand) == stats.bootstrap_ci(base, cand)


@pytest.mark.parametrize("ci,ok", [((1.06, 1.2), True), ((1.04, 1.3), False), ((1.05, 1.05), True)])
def test_significance_uses_the_low_end(ci, ok):
    assert stats.significant(ci, 1.05) is ok


def test_paired_ratios_cancel_load_that_hits_both_halves_of_a_pair():
    # Load drifts 3x over the rounds; within each round both sides see the same load.
    rng = random.Random(5)
    load = [1.0 + 2.0 * i / 19 for i in range(20)]
    base = [1.10 * f * (1 + rng.gauss(0, 0.01)) for f in load]
    cand = [1.00 * f * (1 + rng.gauss(0, 0.01)) for f in load]
    low, high = stats.paired_ci(base, cand)
    assert 1.08 < low < 1.10 < high < 1.12
    assert stats.paired_speedup(base, cand) == pytest.approx(1.10, abs=0.01)
    # The same values, unpaired: the drift swamps the 10% gain.
    low, high = stats.bootstrap_ci(base, cand)
    assert low < 1.0 < 1.2 < high


def test_trimmed_mean_ignores_a_wild_pair():
    assert stats.trimmed_mean([1.0, 1.0, 1.0, 1.0, 50.0]) == 1.0
    assert stats.trimmed_mean([2.0, 4.0]) == 3.0
    base, cand = [1.1, 1.1, 1.1, 1.1, 9.0], [1.0, 1.0, 1.0, 1.0, 1.0]
    assert stats.paired_speedup(base, cand) == pytest.approx(1.1)


def test_paired_statistics_need_pairs():
    with pytest.raises(ValueError, match="pairs needed"):
        stats.paired_ci([1.0, 2.0], [1.0])
    assert stats.paired_ci([1.0, 1.1, 0.9], [1.0, 1.0, 1.0]) == stats.paired_ci([1.0, 1.1, 0.9], [1.0, 1.0, 1.0])
