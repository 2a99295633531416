from optimizer.measure.decide import decide
from optimizer.model import Measurement


def m(speedup, ci, peak=None, bench=None):
    return Measurement(speedup, ci, 1.0, 1.0 / speedup, 18, peak_bytes=peak, bench=bench)


def test_time_objective():
    assert decide(m(2.0, (1.8, 2.2)), "time", 1.05) == (True, "faster: 2.00x [1.80, 2.20]")
    assert decide(m(1.02, (0.98, 1.06)), "time", 1.05) == (False, "not faster: 1.02x [0.98, 1.06]")
    ok, why = decide(m(1.08, (1.03, 1.12)), "time", 1.05)
    assert not ok and why.startswith("faster, but not surely by --min-speedup 1.05x")


def test_end_to_end_confirmation():
    ok, why = decide(m(2.0, (1.8, 2.2), bench=m(1.01, (0.99, 1.03))), "time", 1.05)
    assert ok and why == "faster: 2.00x [1.80, 2.20]; end to end 1.01x [0.99, 1.03]"
    ok, why = decide(m(2.0, (1.8, 2.2), bench=m(0.9, (0.85, 0.95))), "time", 1.05)
    assert not ok and why.endswith("but slower end to end 0.90x [0.85, 0.95]")


def test_memory_objective():
    ok, why = decide(m(1.0, (0.97, 1.03), peak=(4_000_000, 1_000_000)), "memory", 1.05)
    assert ok and why.startswith("leaner: peak memory 4.00 MB -> 1.00 MB (4.00x less)")
    ok, why = decide(m(0.5, (0.45, 0.55), peak=(4_000_000, 1_000_000)), "memory", 1.05)
    assert not ok and why.startswith("leaner but slower")
    ok, why = decide(m(3.0, (2.5, 3.5), peak=(1_000_000, 1_000_000)), "memory", 1.05)
    assert not ok and why.startswith("not leaner")
