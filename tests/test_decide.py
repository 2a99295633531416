import pytest

from optimizer.measure.decide import busy, decide, required, second_opinion
from optimizer.model import Measurement


def m(speedup, ci, peak=None, bench=None, disturbed=0.0, samples=18):
    return Measurement(speedup, ci, 1.0, 1.0 / speedup, samples, peak_bytes=peak, bench=bench, disturbed=disturbed)


def test_time_objective():
    assert decide(m(2.0, (1.8, 2.2)), "time", 1.05) == ("kept", "faster: 2.00x [1.80, 2.20]")
    assert decide(m(1.02, (0.98, 1.06)), "time", 1.05) == ("rejected", "not faster: 1.020x [0.980, 1.060]")
    status, why = decide(m(1.08, (1.03, 1.12)), "time", 1.05)
    assert status == "rejected" and why.startswith("faster, but not surely by --min-speedup 1.05x")


def test_the_threshold_is_raised_by_the_aa_offset_that_is_sure_either_way():
    assert required(1.05, None) == 1.05
    assert required(1.05, (1.0, 0.98, 1.02)) == 1.05
    assert required(1.05, (1.03, 0.99, 1.07)) == 1.05      # wide, not surely offset: busy() says so
    assert required(1.05, (1.04, 1.02, 1.06)) == pytest.approx(1.05 * 1.02)
    assert required(1.05, (0.96, 0.94, 0.98)) == pytest.approx(1.05 / 0.98)
    # Clears 1.05 but not 1.05 x 1.03 on a quiet machine: rejected, and the reason says why.
    status, why = decide(m(1.09, (1.06, 1.12)), "time", 1.05, noise=(1.035, 1.03, 1.04))
    assert status == "rejected" and "straddles 1.082x" in why and "A/A offset 1.030x" in why
    status, why = decide(m(1.15, (1.10, 1.20)), "time", 1.05, noise=(1.035, 1.03, 1.04))
    assert status == "kept" and why.startswith("faster: 1.15x [1.10, 1.20], clears 1.082x")


def test_a_close_call_on_a_busy_machine_is_undecided_never_kept():
    # Most samples waited for a CPU: the straddling interval is undecided, not a guess either way.
    status, why = decide(m(1.07, (1.01, 1.14), disturbed=0.6, samples=30), "time", 1.05)
    assert status == "undecided"
    assert why.startswith("undecided: machine too busy: 1.070x [1.010, 1.140] straddles 1.050x after 30 rounds")
    assert "60% of the samples waited for a CPU" in why
    # An A/A interval reaching the threshold also says the machine cannot tell.
    status, why = decide(m(1.07, (1.01, 1.14)), "time", 1.05, noise=(1.0, 0.94, 1.06))
    assert status == "undecided" and "an identical copy measured 1.000x [0.940, 1.060]" in why
    # Clear answers stay clear however busy the machine was.
    assert decide(m(1.5, (1.3, 1.7), disturbed=0.9), "time", 1.05)[0] == "kept"
    assert decide(m(0.8, (0.7, 0.9), disturbed=0.9), "time", 1.05)[0] == "rejected"
    # A quiet machine's close call is a plain rejection.
    assert decide(m(1.07, (1.01, 1.14), disturbed=0.1), "time", 1.05)[0] == "rejected"


def test_busy_names_every_reason():
    assert busy(m(1.0, (0.99, 1.01), disturbed=0.24), 1.05, (1.0, 0.99, 1.01)) == ""
    assert busy(m(1.0, (0.99, 1.01), disturbed=0.25), 1.05, None) == "25% of the samples waited for a CPU"
    assert busy(m(1.0, (0.99, 1.01)), 1.05, (0.97, 0.95, 1.0)) == "an identical copy measured 0.970x [0.950, 1.000]"


@pytest.mark.parametrize("time_x,instructions,blocked", [
    (1.30, 1.00, True),    # the example: time alone shows a gain
    (1.30, 0.95, True),
    (1.10, 1.04, False),   # a third of the time gain: honest differences in what counts
    (1.30, 1.08, False),   # clears the threshold itself
    (1.60, 1.15, False),
    (2.00, 1.02, True),
])
def test_second_opinion_blocks_gains_the_instruction_count_does_not_back(time_x, instructions, blocked):
    why = second_opinion(time_x, instructions, 1.05)
    assert bool(why) is blocked
    if blocked:
        assert why.startswith(f"time says {time_x:.2f}x but the instruction count says {instructions:.2f}x")


def test_end_to_end_confirmation():
    status, why = decide(m(2.0, (1.8, 2.2), bench=m(1.01, (0.99, 1.03))), "time", 1.05)
    assert status == "kept" and why == "faster: 2.00x [1.80, 2.20]; end to end 1.01x [0.99, 1.03]"
    status, why = decide(m(2.0, (1.8, 2.2), bench=m(0.9, (0.85, 0.95))), "time", 1.05)
    assert status == "rejected" and why.endswith("but slower end to end 0.90x [0.85, 0.95]")


def test_memory_objective():
    status, why = decide(m(1.0, (0.97, 1.03), peak=(4_000_000, 1_000_000)), "memory", 1.05)
    assert status == "kept" and why.startswith("leaner: peak memory 4.00 MB -> 1.00 MB (4.00x less)")
    status, why = decide(m(0.5, (0.45, 0.55), peak=(4_000_000, 1_000_000)), "memory", 1.05)
    assert status == "rejected" and why.startswith("leaner but slower")
    status, why = decide(m(3.0, (2.5, 3.5), peak=(1_000_000, 1_000_000)), "memory", 1.05)
    assert status == "rejected" and why.startswith("not leaner")
