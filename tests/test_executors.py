"""The executor seam: what a Ray task is sent (pickled proposers and budget), the
per-machine measurement slot, the run's own answer cache, and the Ray executor on a
real local Ray instance (slow; skipped with the reason when the extra is missing)."""
import importlib.util
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer.executors import TASK_NAME
from optimizer.measure.runner import quiet_machine
from optimizer.model import LLMUsage
from optimizer.propose.budget import Budget
from optimizer.propose.llm import LLMProposer
from optimizer.propose.store import ResponseCache
from repos import make_repo
from test_all_resume import ALL_REPO

HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed: pip install -e '.[ray]' runs these")


def test_a_proposer_and_its_budget_travel_together_with_fresh_locks():
    budget = Budget(max_cost=1.0)
    budget.add_spent(LLMUsage(calls=2, cost_usd=0.25))
    proposer = LLMProposer("openai/gpt-4.1", api_key="k", budget=budget)
    copy, copied_budget = pickle.loads(pickle.dumps((proposer, budget)))
    assert copy.budget is copied_budget and copied_budget.spent.cost_usd == 0.25
    assert copied_budget.reserve() and copy._usage_lock.acquire(blocking=False)   # working locks of their own


def _try_lock(path: Path) -> bool:
    """Whether another process can take the lock now (it never waits)."""
    code = ("import fcntl, sys\nf = open(sys.argv[1], 'a')\ntry:\n    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
            "except BlockingIOError:\n    sys.exit(1)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], timeout=60).returncode == 0


def test_the_measurement_slot_excludes_other_processes_until_released(tmp_path):
    lock = tmp_path / "measure.lock"
    with quiet_machine(str(lock)):
        assert not _try_lock(lock)
    assert _try_lock(lock)


def test_a_killed_holder_frees_the_measurement_slot(tmp_path):
    lock = tmp_path / "measure.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom optimizer.measure.runner import "
                               "quiet_machine\nwith quiet_machine(sys.argv[1]):\n    print('held', flush=True)\n"
                               "    time.sleep(600)\n", str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not _try_lock(lock)
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert _try_lock(lock)


def test_no_lock_named_means_no_slot(tmp_path):
    with quiet_machine(""):
        pass
    assert not list(tmp_path.iterdir())


def test_the_runs_own_answers_are_read_even_with_no_cache(tmp_path):
    run_root = tmp_path / "run" / "responses"
    first = ResponseCache(tmp_path / "home", read=False, run_root=run_root)
    first.put("ab" * 32, {"answer": "def f(): pass"})
    assert first.get("ab" * 32) == {"answer": "def f(): pass"}        # --no-cache, resumed: the run's own
    assert ResponseCache(tmp_path / "home", read=False).get("ab" * 32) is None   # a new run with --no-cache
    assert ResponseCache(tmp_path / "home").get("ab" * 32) is not None            # the shared cache has it too


# -- the real thing: a local Ray instance ---------------------------------------------------

# The targets come from one plan (one profile, one capture), resumed by each executor: what
# the sampler credits can differ between two profiles on a busy machine; the executors may not.
FLAGS = ("--search-seconds", "0", "--rounds", "2", "--no-second-opinion", "--sandbox", "process")
BOTH = {"pkg.stats.unique_ordered", "pkg.stats.count_above_average"}


def optimize(*args, **kw):
    return subprocess.run([sys.executable, "-m", "optimizer", "run", *map(str, args)], capture_output=True, text=True,
                          timeout=900, **kw)


def kept_edits(report: dict) -> dict:
    return {k["target"]: (k["origin"], k["diff"]) for k in report["kept"]}


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """A repository and a run folder holding its --all plan, no target started (--max-minutes
    is spent by the time the capture ends): each test resumes a copy of it."""
    root = tmp_path_factory.mktemp("planned")
    repo = make_repo(root / "r", ALL_REPO)
    r = optimize(repo, "--all", "--max-minutes", "1e-6", *FLAGS, "--out", root / "plan")
    assert r.returncode == 0, r.stderr
    assert set(json.loads((root / "plan" / "report.json").read_text())["meta"]["targets_left"]) == BOTH
    return repo, root / "plan"


def resumed_copy(planned, where: Path) -> Path:
    shutil.copytree(planned[1], where)
    return where


@pytest.fixture(scope="module")
def local_run(planned, tmp_path_factory):
    folder = resumed_copy(planned, tmp_path_factory.mktemp("local") / "run")
    r = optimize(planned[0], "--resume", folder, *FLAGS)
    assert r.returncode == 0, r.stderr
    return json.loads((folder / "report.json").read_text())


@pytest.mark.slow
@needs_ray
def test_ray_keeps_the_same_edits_as_the_local_executor(planned, local_run, tmp_path):
    folder = resumed_copy(planned, tmp_path / "run")
    r = optimize(planned[0], "--resume", folder, *FLAGS, "--executor", "ray")
    assert r.returncode == 0, r.stderr
    report = json.loads((folder / "report.json").read_text())
    assert report["meta"]["executor"] == "ray" and local_run["meta"]["executor"] == "local"
    assert set(report["targets"]) == set(local_run["targets"]) == BOTH
    assert set(kept_edits(local_run)) == BOTH   # both rewrites gain 50x or more: kept whatever the load
    assert kept_edits(report) == kept_edits(local_run)
    branches = subprocess.run(["git", "-C", str(planned[0]), "branch", "--list", "optimize/*"], capture_output=True,
                              text=True).stdout.split()
    assert {k["branch"] for k in report["kept"]} <= set(branches)   # kept on the driver, as locally


def _workers(target: str) -> list[int]:
    """The Ray workers working on `target` now (their process title names it)."""
    title = f"ray::{TASK_NAME}:{target}".encode()
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path("/proc", pid, "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.split(b"\0")[0] == title:
                pids.append(int(pid))
    return pids


def _kill_worker(target: str, run: subprocess.Popen, spared: set[int]) -> int:
    """SIGKILL the worker of `target` (one not in `spared`) as soon as it runs."""
    deadline = time.monotonic() + 600   # bounds a hang; not a measurement
    while time.monotonic() < deadline and run.poll() is None:
        fresh = [pid for pid in _workers(target) if pid not in spared]
        if fresh:
            os.kill(fresh[0], signal.SIGKILL)
            return fresh[0]
        time.sleep(0.05)
    raise AssertionError(f"no worker of {target} appeared; the run ended with {run.poll()}")


@pytest.mark.slow
@needs_ray
def test_a_killed_worker_is_retried_and_one_killed_twice_is_reported_lost(planned, local_run, tmp_path):
    folder = resumed_copy(planned, tmp_path / "run")
    run = subprocess.Popen([sys.executable, "-m", "optimizer", "run", str(planned[0]), "--resume", str(folder), *FLAGS,
                            "--executor", "ray"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        twice = "pkg.stats.unique_ordered"   # both start at once (two slots); each runs for seconds
        killed = {_kill_worker("pkg.stats.count_above_average", run, set())}
        killed.add(_kill_worker(twice, run, killed))
        killed.add(_kill_worker(twice, run, killed))   # its retry
        _, err = run.communicate(timeout=900)
    finally:
        run.kill()
    assert run.returncode == 0, err
    report = json.loads((folder / "report.json").read_text())
    assert set(report["targets"]) == BOTH   # nothing silently lost
    lost = report["targets"][twice]
    assert lost["status"] == "lost" and "its worker died 2 time(s)" in lost["skipped"]
    assert any(n.startswith("pkg.stats.count_above_average: its first worker died") and "retried" in n
               for n in report["notes"])
    assert kept_edits(report) == {k: v for k, v in kept_edits(local_run).items() if k != twice}
    progress = [json.loads(line) for line in (folder / "progress" / "progress.jsonl").read_text().splitlines()]
    assert twice not in {line["target"] for line in progress}   # not finished: a --resume works on it again


@needs_ray
def test_an_unreachable_cluster_is_one_line_and_exit_2(tmp_path):
    import socket

    with socket.socket() as s:   # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repo = make_repo(tmp_path / "r", ALL_REPO)
    r = optimize(repo, "--all", "--executor", "ray", "--ray-address", f"127.0.0.1:{port}")
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"nothing answers at 127.0.0.1:{port}" in r.stderr and "ray start --head" in r.stderr
