"""runner.Sides: which measure decides, and what the workers said about the machine."""
import pytest

from optimizer.measure.runner import BLOCKING, Sides


def worker(wall, cpu, waited=0.0, taken=3, disturbed=0):
    return {"samples": [wall] * 3, "cpu": [cpu] * 3, "waited": [waited] * 3, "taken": taken, "disturbed": disturbed}


def test_cpu_time_decides_when_waiting_for_a_cpu_explains_the_wall_time():
    sides = Sides.empty()
    for _ in range(4):
        # Busy machine: half of each sample waited for a CPU; CPU time is the steady measure.
        sides.add("a", worker(2.2, 1.1, waited=0.5, taken=5, disturbed=3))
        sides.add("b", worker(2.0, 1.0, waited=0.5, taken=5, disturbed=3))
    assert sides.metric == "cpu time"
    assert sides.values("a") == [1.1] * 4
    assert sides.disturbed_share == pytest.approx(0.6)
    assert sides.interval()[0] == pytest.approx(1.1)


def test_wall_time_decides_when_a_side_blocks():
    sides = Sides.empty()
    for _ in range(4):
        sides.add("a", worker(1.0, 1.0))
        # The candidate sleeps or waits on I/O for 40% of its time: its CPU time would hide that.
        sides.add("b", worker(1.2, 0.7))
    assert 0.4 > BLOCKING and sides.metric == "wall time"
    assert sides.values("b") == [1.2] * 4
    assert sides.interval()[1] < 1.0   # slower, as the wall clock says


def test_first_pass_is_reported_like_a_cold_worker():
    out = {"samples": [1.0], "first_pass": 3.0, "first_cpu": 2.9, "first_waited": 0.01}
    assert Sides.first_pass(out) == {"samples": [3.0], "cpu": [2.9], "waited": [0.01], "taken": 1, "disturbed": 0}
