"""`optimize run --all`, its budgets, the run folder's progress and `--resume RUN`.

The engine's logic runs here with an executor double (the results it returns are
made up, nothing is timed) over a session whose targets are captured already, so no
test suite runs; the real CLI runs end to end in the slow tests at the bottom."""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from doubles import quiet_view
from optimizer.model import Target, TargetResult
from optimizer.progress import Plan, Progress, fingerprint
from optimizer.run import run
from optimizer.session import Session
from optimizer.settings import RunSettings
from optimizer.target import index_repo
from optimizer.verify import Baseline
from repos import make_repo

ALL_REPO = {
    "pkg/__init__.py": "",
    "pkg/stats.py": '''
        def unique_ordered(items):
            seen = []
            out = []
            for item in items:
                if item not in seen:
                    seen.append(item)
                    out.append(item)
            return out


        def count_above_average(readings):
            count = 0
            for reading in readings:
                if reading > sum(readings) / len(readings):
                    count += 1
            return count


        def checksum(values):
            total = 0
            for i, v in enumerate(values):
                total = (total * 31 + v * (i + 1)) % 1000003
            return total
    ''',
    "tests/test_stats.py": '''
        from pkg.stats import checksum, count_above_average, unique_ordered


        def test_unique():
            assert unique_ordered([3, 1, 3, 2, 1]) == [3, 1, 2]
            assert unique_ordered([i % 2000 for i in range(12000)]) == list(range(2000))   # tens of ms: always profiled


        def test_above():
            assert count_above_average([1, 2, 3, 4, 10]) == 1
            assert count_above_average(list(range(4000))) == 2000


        def test_checksum():   # too quick for the profile to credit: never a target of --all
            assert checksum([1, 2, 3]) == 14
    ''',
}


class ScriptedExecutor:
    """Works on nothing: each target's result is "nothing kept", or what `results` says
    (a TargetResult, or an exception to raise). Records the targets it was given."""

    name = "scripted"

    def __init__(self, results=None):
        self.results = results or {}
        self.started: list[str] = []

    def optimize(self, session, targets, proposers, may_start):
        for target in targets:
            if not may_start():
                return
            self.started.append(target.name)
            yield self.results.get(target.name, TargetResult(target, notes=(f"worked on {target.name}",)))

    def close(self):
        pass


def captured_session(repo: Path, out: Path, **settings) -> Session:
    """A session whose targets (every function of pkg/stats.py) count as captured: its
    capture runs nothing."""
    session = Session(RunSettings(repo=repo, out_dir=out, sandbox="process", **settings), events=quiet_view())
    for t in index_repo(session.ws.base):
        session.baselines[t.name] = Baseline(t)
    return session


def targets_of(repo: Path) -> list[Target]:
    return sorted(index_repo(repo), key=lambda t: t.start_line)


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "r", ALL_REPO)


def test_all_with_max_targets_starts_that_many_and_records_the_plan_and_each_finished_target(repo, tmp_path):
    out = tmp_path / "run"
    executor = ScriptedExecutor()
    with captured_session(repo, out, all=True, max_targets=1) as session:
        report = run(session, [], targets=targets_of(repo), executor=executor, progress=Progress(out))
    assert executor.started == ["pkg.stats.unique_ordered"]
    assert report.status == "completed"
    assert report.meta["targets_left"] == ["pkg.stats.count_above_average", "pkg.stats.checksum"]
    assert any("2 of 3 target(s) not started (--max-targets 1)" in n and f"--resume {out}" in n for n in report.notes)
    progress = Progress(out)
    plan = progress.load_plan()
    assert [t.name for t in plan.targets] == [t.name for t in targets_of(repo)]
    assert plan.workload == {"target": None, "bench": None, "all": True}
    assert plan.fingerprint == fingerprint(repo) == progress.expected_fingerprint()
    [(result, kept)] = progress.finished()
    assert result.target.name == "pkg.stats.unique_ordered" and kept is None
    lines = [json.loads(line) for line in (out / "progress" / "progress.jsonl").read_text().splitlines()]
    assert lines == [{"target": "pkg.stats.unique_ordered", "status": "nothing kept", "candidates": 0}]


def test_resume_carries_finished_targets_over_and_works_only_on_the_rest_without_capturing_again(repo, tmp_path):
    out = tmp_path / "run"
    with captured_session(repo, out, all=True, max_targets=1) as session:
        run(session, [], targets=targets_of(repo), executor=ScriptedExecutor(), progress=Progress(out))
    plan = Progress(out).load_plan()

    executor = ScriptedExecutor()
    settings = RunSettings(repo=repo, out_dir=out, sandbox="process", all=True, max_targets=None)
    with Session(settings, events=quiet_view()) as session:   # nothing captured: the plan's calls are used
        report = run(session, [], executor=executor, progress=Progress(out), resume=plan)
        assert session._captures == 0
    assert executor.started == ["pkg.stats.count_above_average", "pkg.stats.checksum"]
    assert list(report.targets) == ["pkg.stats.unique_ordered", "pkg.stats.count_above_average", "pkg.stats.checksum"]
    assert any(n.startswith(f"resumed {out}: 1 of 3 target(s) finished earlier") for n in report.notes)
    assert "targets_left" not in report.meta
    assert len(Progress(out).finished()) == 3


def test_an_interrupted_or_lost_target_is_not_finished_so_a_resume_works_on_it_again(repo, tmp_path):
    out = tmp_path / "run"
    first, second, _ = targets_of(repo)
    lost = TargetResult(second, skipped="its worker died 2 time(s)", lost=True)
    with captured_session(repo, out, all=True) as session:
        report = run(session, [], targets=targets_of(repo), executor=ScriptedExecutor({second.name: lost}),
                     progress=Progress(out))
    assert report.targets[second.name]["status"] == "lost"
    assert [r.target.name for r, _ in Progress(out).finished()] == [first.name, "pkg.stats.checksum"]

    executor = ScriptedExecutor()
    with Session(RunSettings(repo=repo, out_dir=out, sandbox="process", all=True, max_targets=None),
                 events=quiet_view()) as session:
        run(session, [], executor=executor, progress=Progress(out), resume=Progress(out).load_plan())
    assert executor.started == [second.name]


def test_max_minutes_spent_starts_no_more_targets_and_says_so(repo, tmp_path):
    executor = ScriptedExecutor()
    with captured_session(repo, tmp_path / "run", all=True, max_minutes=1e-9) as session:
        report = run(session, [], targets=targets_of(repo), executor=executor, progress=Progress(tmp_path / "run"))
    assert executor.started == []
    assert report.status == "completed" and len(report.meta["targets_left"]) == 3
    assert any("3 of 3 target(s) not started (--max-minutes 1e-09 reached" in n for n in report.notes)


def test_a_finished_record_cut_off_by_a_kill_is_done_again(repo, tmp_path):
    out = tmp_path / "run"
    with captured_session(repo, out, all=True) as session:
        run(session, [], targets=targets_of(repo), executor=ScriptedExecutor(), progress=Progress(out))
    last = sorted((out / "progress" / "done").glob("*.b64"))[-1]
    last.write_bytes(last.read_bytes()[:10])
    assert [r.target.name for r, _ in Progress(out).finished()] == ["pkg.stats.unique_ordered",
                                                                     "pkg.stats.count_above_average"]


def test_the_plan_keeps_the_captured_calls_in_the_run_folder(repo, tmp_path):
    calls = tmp_path / "scratch" / "calls.pkl"
    calls.parent.mkdir()
    calls.write_bytes(pickle.dumps(["a call"]))
    [target, *_] = targets_of(repo)
    Progress(tmp_path / "run").save_plan(Plan(str(repo), fingerprint(repo), {}, [target],
                                              baselines={target.name: Baseline(target, captured_file=calls)}))
    calls.unlink()   # the session's scratch folder goes with it
    (tmp_path / "run").rename(tmp_path / "moved")   # and the run folder may move
    plan = Progress(tmp_path / "moved").load_plan()
    kept = plan.baselines[target.name].captured_file
    assert kept.is_relative_to(tmp_path / "moved" / "progress") and pickle.loads(kept.read_bytes()) == ["a call"]


def test_the_fingerprint_changes_with_any_file_but_not_with_git_or_caches(repo):
    before = fingerprint(repo)
    (repo / "__pycache__").mkdir()
    (repo / "__pycache__" / "x.pyc").write_bytes(b"x")
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "empty"], check=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
                        "GIT_COMMITTER_EMAIL": "a@b"})
    assert fingerprint(repo) == before
    (repo / "notes.txt").write_text("new")
    assert fingerprint(repo) != before


# -- the command line's checks of --resume, --all and --executor (exit 2, one line) --------

def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(r, *words):
    assert r.returncode == 2, r.stderr + r.stdout
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for word in words:
        assert word in r.stderr, r.stderr


@pytest.fixture
def planned_run(repo, tmp_path):
    """A run folder whose plan was made on `repo` with --all --bench 'python -V'."""
    out = tmp_path / "run"
    Progress(out).save_plan(Plan(str(repo), fingerprint(repo), {"target": None, "bench": "python -V", "all": True},
                                 targets_of(repo)))
    return out


def test_resume_refuses_a_folder_without_progress(repo, tmp_path):
    one_line_error(cli("run", repo, "--resume", tmp_path), "--resume", "not a run folder with progress")


def test_resume_last_without_an_earlier_run(repo):
    one_line_error(cli("run", repo, "--resume"), "no earlier run of", "to resume")


def test_resume_refuses_a_repository_changed_since(repo, planned_run):
    (repo / "pkg" / "stats.py").write_text((repo / "pkg" / "stats.py").read_text() + "\n# edited\n")
    one_line_error(cli("run", repo, "--resume", planned_run), "changed since that run", "start a new run")


def test_resume_refuses_another_workload(repo, planned_run):
    one_line_error(cli("run", repo, "--resume", planned_run, "--bench", "python bench.py"),
                   "--bench differs from that run's ('python -V')")


def test_resume_refuses_another_repository(tmp_path, planned_run):
    other = make_repo(tmp_path / "other", ALL_REPO)
    one_line_error(cli("run", other, "--resume", planned_run), "that run was on")


def test_resume_goes_on_in_its_own_folder(repo, planned_run, tmp_path):
    one_line_error(cli("run", repo, "--resume", planned_run, "--out", tmp_path / "elsewhere"),
                   "does not go with --out")


def test_ray_address_needs_the_ray_executor(repo):
    one_line_error(cli("run", repo, "--all", "--ray-address", "127.0.0.1:1"), "--ray-address goes with --executor ray")


def test_the_ray_executor_does_not_record_a_transcript(repo, tmp_path, fake_openai):
    server = fake_openai(["x"])
    one_line_error(cli("run", repo, "--all", "--executor", "ray", "--model", "openai/fake", "--api-base",
                       server.base_url, "--record", tmp_path / "t.json"), "--record", "local executor")


def test_max_minutes_must_be_positive(repo):
    one_line_error(cli("run", repo, "--all", "--max-minutes", "0"), "--max-minutes")


@pytest.mark.slow
def test_all_then_resume_through_the_real_cli(repo, tmp_path):
    flags = ("--search-seconds", "0", "--rounds", "2", "--no-second-opinion", "--sandbox", "process")
    both = {"pkg.stats.count_above_average", "pkg.stats.unique_ordered"}
    first = cli("run", repo, "--all", "--max-targets", "1", *flags, timeout=900)
    assert first.returncode == 0, first.stderr
    [folder] = [p for p in (Path(os.environ["OPTIMIZE_HOME"]) / "runs").iterdir() if p.name.startswith("r-")]
    report = json.loads((folder / "report.json").read_text())
    [done] = report["targets"]   # the profile's first, whichever it ranks first
    assert {done, *report["meta"]["targets_left"]} == both and done not in report["meta"]["targets_left"]

    second = cli("run", repo, "--resume", *flags, timeout=900)   # the last run of this repository
    assert second.returncode == 0, second.stderr
    lines = [line.strip() for line in second.stdout.splitlines()]   # no profile, no capture: the plan's
    assert "» profiling the test suite" not in lines and "to capture calls" not in second.stdout
    assert "1 of 2 target(s) finished earlier and carried over; captured calls reused" in " ".join(second.stdout.split())
    report = json.loads((folder / "report.json").read_text())   # the same folder, the whole run
    assert report["status"] == "completed" and "targets_left" not in report["meta"]
    assert {t: v["status"] for t, v in report["targets"].items()} == dict.fromkeys(both, "kept")
    assert {k["branch"] for k in report["kept"]} == {"optimize/count_above_average", "optimize/unique_ordered"}

    third = cli("run", repo, "--resume", folder, *flags, timeout=900)   # nothing left: nothing redone
    assert third.returncode == 0, third.stderr
    assert "2 of 2 target(s) finished earlier" in " ".join(third.stdout.split()) and "verifying" not in third.stdout


def test_a_new_run_in_a_folder_with_earlier_progress_starts_it_afresh(repo, tmp_path):
    out = tmp_path / "run"
    for _ in range(2):
        with captured_session(repo, out, all=True) as session:
            run(session, [], targets=targets_of(repo), executor=ScriptedExecutor(), progress=Progress(out))
    assert len(Progress(out).finished()) == 3
    assert len((out / "progress" / "progress.jsonl").read_text().splitlines()) == 3


def test_max_targets_is_three_unless_all_lifts_it_and_a_given_one_wins(tmp_path):
    from optimizer.settings import layered, run_settings

    def resolved(**flags):
        return run_settings(layered(tmp_path, flags, {}), tmp_path, tmp_path / "out").max_targets

    assert resolved() == 3
    assert resolved(all=True) is None
    assert resolved(all=True, max_targets=5) == 5
    (tmp_path / "pyproject.toml").write_text("[tool.optimize]\nall = true\nmax_minutes = 90\n")
    values = layered(tmp_path, {}, {})
    assert values["all"] is True and values["max_minutes"] == 90.0
