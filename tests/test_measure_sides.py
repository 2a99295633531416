"""runner.Sides: which measure decides, and what the workers said about the machine."""
import pytest

from optimizer.measure.runner import BLOCKING, Sides, low_half


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
    assert len(sides) == 4


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


def paired(cpu, blocks, waited=None, wall=None):
    n = len(cpu)
    return {"samples": wall or list(cpu), "cpu": cpu, "waited": waited or [0.0] * n,
            "blocks": blocks, "taken": n, "disturbed": sum(1 for w in (waited or []) if w >= 0.05)}


def test_paired_rounds_pair_samples_by_turn_and_take_the_median_pair():
    sides = Sides.empty()
    # Pair 0 has only the original's sample; in pair 3 the CPU slowed down for the original's.
    a = paired([2.2, 2.2, 2.2, 3.3], [0, 1, 2, 3])
    b = paired([2.0, 2.0, 2.0, 2.0], [1, 2, 3, 4])
    assert sides.add_pair(a, b)
    assert sides.ratios["cpu time"] == [pytest.approx(1.1)]   # pairs 1-3: 1.1, 1.1, 1.65
    assert sides.values("a") == [pytest.approx(2.2)]            # the lower half of each side
    assert sides.taken == 8


def test_paired_rounds_follow_a_cpu_whose_speed_changes_within_the_round():
    sides = Sides.empty()
    # The virtual CPU runs 1.5x faster for the last two pairs: both samples of a pair share it.
    a = paired([3.3, 3.3, 2.2, 2.2], [0, 1, 2, 3])
    b = paired([3.0, 3.0, 2.0, 2.0], [0, 1, 2, 3])
    assert sides.add_pair(a, b)
    assert sides.ratios["cpu time"] == [pytest.approx(1.1)]


def test_paired_rounds_leave_out_pairs_that_waited_for_a_cpu():
    sides = Sides.empty()
    a = paired([1.0, 1.0, 1.5, 1.5], [0, 1, 2, 3], waited=[0.0, 0.0, 0.0, 0.3])
    b = paired([1.0, 1.0, 0.5, 0.5], [0, 1, 2, 3], waited=[0.0, 0.0, 0.2, 0.0])
    assert sides.add_pair(a, b)
    assert sides.ratios["cpu time"] == [pytest.approx(1.0)]   # only pairs 0 and 1 were quiet on both sides
    assert sides.disturbed_share == pytest.approx(2 / 8)


def test_workers_without_a_common_block_make_no_round():
    sides = Sides.empty()
    assert not sides.add_pair(paired([1.0], [0]), paired([1.0], [1]))
    assert len(sides) == 0


def test_low_half():
    assert low_half([3.0, 1.0, 2.0, 10.0]) == 1.5
    assert low_half([5.0]) == 5.0


def _worker_module():
    """bootstrap/timeit_worker.py as the timing processes load it (its folder on sys.path)."""
    import importlib
    import sys

    from optimizer.verify.runs import BOOTSTRAP
    if str(BOOTSTRAP) not in sys.path:
        sys.path.insert(0, str(BOOTSTRAP))
    return importlib.import_module("timeit_worker")


def test_turns_alternate_in_pairs_whose_order_swaps():
    order = _worker_module().turn_order(4, 0)
    assert order == [0, 1, 1, 0, 0, 1, 1, 0]           # A B, B A, A B, B A
    assert _worker_module().turn_order(2, 1) == [1, 0, 0, 1]
    # Each pair (turns 2j, 2j+1) holds one sample of each side.
    assert all({order[2 * j], order[2 * j + 1]} == {0, 1} for j in range(4))


def test_a_worker_whose_partner_never_comes_or_leaves_stops(tmp_path):
    import os
    import time

    worker = _worker_module()
    for side in "ab":
        os.mkfifo(tmp_path / side)
    with pytest.raises(worker.TurnLost):   # nobody opened b's FIFO to read
        worker._open_turns(str(tmp_path), "a", "b", time.monotonic() + 0.05)
    partner_reads = os.open(tmp_path / "b", os.O_RDONLY | os.O_NONBLOCK)
    mine, theirs = worker._open_turns(str(tmp_path), "a", "b", time.monotonic() + 5)
    with pytest.raises(worker.TurnLost):   # the partner never writes: a's wait ends
        worker._await_turn(mine, 0.05)
    partner_writes = os.open(tmp_path / "a", os.O_WRONLY)
    os.write(partner_writes, b".")
    worker._await_turn(mine, 5)            # its turn
    os.close(partner_writes)
    with pytest.raises(worker.TurnLost):   # the partner exited: end of file, at once
        worker._await_turn(mine, 5)
    for fd in (mine, theirs, partner_reads):
        os.close(fd)


def test_a_round_whose_worker_lost_its_partner_is_an_error(tmp_path):
    from optimizer.measure.runner import MeasureError, Pairing

    def run(workspace, tag, **_):   # the partner "never came", yet neither worker failed
        return {"lost": "the other timing worker never came"} if tag == "b" else paired([1.0], [0])
    with pytest.raises(MeasureError, match="could not take turns: the other timing worker never came"):
        Pairing().round(run, tmp_path / "a", tmp_path / "b", loops=1, per_worker=1, number=0)
