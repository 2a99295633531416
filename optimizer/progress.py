"""A run's progress in its folder, so that `optimize run --resume RUN` goes on from it.

    RUN/progress/plan.b64        written once the targets are chosen and captured: the
                                 repository's fingerprint, the run's workload (target,
                                 bench, --all), the targets in order, the hotspots and the
                                 "before" flame graph, the test run, and each target's
                                 Baseline, its captured calls copied beside it (calls/)
    RUN/progress/done/NNN.b64    one per finished target: its TargetResult and Kept
    RUN/progress/fingerprint     the repository's, as the run leaves it (--apply changes it)
    RUN/progress/run.json        the repository, its fingerprint and the targets, readable
    RUN/progress/progress.jsonl  the same, one line per finished target, for people and jq

A resumed run skips the finished targets (their results and kept edits are carried into
its report as they were), reuses the captured calls instead of running the tests again,
and reuses the model's answers (the run's own response cache, RUN/responses). It is
refused (exit 2, before any work) when the repository's files changed since the run:
captured calls and verified edits are only good for the code they were made on.

A target interrupted or cut short by a budget is not finished: a resumed run starts it
afresh. The records are pickles of our own objects, written and read by this tool only,
stored as base64 (they hold model-written code: its raw bytes are never written out).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UsageError
from .home import write_atomically
from .model import Hotspot, Kept, Target, TargetResult
from .verify import Baseline, TestRun
from .workspace import _NOT_COPIED

FOLDER = "progress"


@dataclass
class Plan:
    """What a run chose before working on its first target."""

    repo: str
    fingerprint: str
    workload: dict                     # {"target", "bench", "all"}: what a resume must repeat
    targets: list[Target]
    hotspots: list[Hotspot] = field(default_factory=list)
    profile_before: dict | None = None
    suite: TestRun | None = None
    baselines: dict[str, Baseline] = field(default_factory=dict)


class Progress:
    """The progress folder of one run (RUN/progress)."""

    def __init__(self, run_dir: Path):
        self.root = run_dir / FOLDER

    @property
    def exists(self) -> bool:
        return (self.root / "plan.b64").is_file()

    def save_plan(self, plan: Plan) -> None:
        """The plan, with each baseline's captured calls copied into the run folder (the
        session's own copies go with its temporary workspace). A new plan starts the
        progress afresh: an earlier run's records in the same folder (--out, --json's
        folder) are not this run's."""
        shutil.rmtree(self.root, ignore_errors=True)
        calls = self.root / "calls"
        calls.mkdir(parents=True, exist_ok=True)
        kept = {}
        for i, (name, baseline) in enumerate(plan.baselines.items()):
            if baseline.captured_file is not None and baseline.captured_file.is_file():
                copy = calls / f"{i:03d}.pkl"
                shutil.copyfile(baseline.captured_file, copy)
                baseline = replace(baseline, captured_file=copy.relative_to(self.root))   # the folder may move
            kept[name] = replace(baseline, calls_file=None, expected_file=None)   # replayed afresh per target
        write_atomically(self.root / "plan.b64", _encoded(replace(plan, baselines=kept)))
        write_atomically(self.root / "fingerprint", plan.fingerprint.encode())
        write_atomically(self.root / "run.json", json.dumps({"repo": plan.repo, "fingerprint": plan.fingerprint,
                                                   "workload": plan.workload,
                                                   "targets": [t.name for t in plan.targets]}).encode())

    def load_plan(self) -> Plan:
        try:
            plan = _decoded((self.root / "plan.b64").read_bytes())
        except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise UsageError(f"--resume: cannot read {self.root / 'plan.b64'}: {exc}") from None
        if not isinstance(plan, Plan):
            raise UsageError(f"--resume: {self.root / 'plan.b64'} is not a run's plan")
        for name, baseline in plan.baselines.items():
            if baseline.captured_file is not None:
                plan.baselines[name] = replace(baseline, captured_file=self.root / baseline.captured_file)
        return plan

    def record(self, result: TargetResult, kept: Kept | None, repo: Path | None = None) -> None:
        """A finished target: its result and what was kept, written at once (an interrupted
        or killed run keeps every target finished before). `repo`: the user's folder, when
        the kept edit was applied to it: the fingerprint a resume expects is taken again."""
        if repo is not None:
            write_atomically(self.root / "fingerprint", fingerprint(repo).encode())
        done = self.root / "done"
        done.mkdir(parents=True, exist_ok=True)
        n = len(list(done.glob("*.b64")))
        write_atomically(done / f"{n:03d}.b64", _encoded((result, kept)))
        line = {"target": result.target.name,
                "status": "skipped" if result.skipped else "kept" if kept else "nothing kept",
                "candidates": len(result.outcomes),
                **({"speedup": round(kept.measurement.speedup, 4), "branch": kept.branch} if kept else {}),
                **({"skipped": result.skipped} if result.skipped else {})}
        with open(self.root / "progress.jsonl", "a") as fh:
            fh.write(json.dumps(line) + "\n")

    def expected_fingerprint(self) -> str:
        """The repository's fingerprint as the run left it (with its applied edits)."""
        try:
            return (self.root / "fingerprint").read_text().strip()
        except OSError:
            return ""

    def finished(self) -> list[tuple[TargetResult, Kept | None]]:
        out = []
        for path in sorted((self.root / "done").glob("*.b64")):
            try:
                out.append(_decoded(path.read_bytes()))
            except (OSError, ValueError, pickle.UnpicklingError, EOFError):
                continue   # a record cut off by a kill: that target is done again
        return out


def finished(result: TargetResult) -> bool:
    """Whether a resumed run may skip this target: it ran to its end (not interrupted, not
    lost with a worker)."""
    return not result.interrupted and not result.lost


def fingerprint(repo: Path) -> str:
    """The repository's files as a workspace copies them (no .git, environments or caches):
    their paths and contents. Any edit, addition or removal changes it."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_COPIED)
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(str(path.relative_to(repo)).encode() + b"\0")
            try:
                if not path.is_symlink():
                    with open(path, "rb") as fh:
                        digest.update(hashlib.file_digest(fh, "sha256").digest())
                else:
                    digest.update(os.readlink(path).encode())
            except OSError:
                digest.update(b"?")
    return digest.hexdigest()


def run_folder(run: str, repo: Path, runs: Path) -> Path:
    """The run folder `--resume RUN` names: a folder, a name in the runs folder, or "last"
    (the newest run of `repo` that recorded a plan). UsageError when there is none."""
    if run == "last":
        found = sorted((p.parent.parent for p in runs.glob(f"*/{FOLDER}/run.json") if _run_repo(p) == str(repo)),
                       key=lambda p: (p / FOLDER / "run.json").stat().st_mtime)
        if not found:
            raise UsageError(f"--resume: no earlier run of {repo} in {runs} to resume")
        return found[-1]
    path = Path(run).expanduser()
    if not path.exists() and (runs / run).is_dir():
        path = runs / run
    if path.is_file():
        path = path.parent
    if not Progress(path).exists:
        raise UsageError(f"--resume {run}: not a run folder with progress ({FOLDER}/plan.b64); runs of "
                         "optimize run record it")
    return path.resolve()


def _run_repo(path: Path) -> str | None:
    try:
        return json.loads(path.read_text()).get("repo")
    except (OSError, ValueError, AttributeError):
        return None


def _encoded(value) -> bytes:
    """A pickle as base64: the records hold model-written code, and nothing the tool writes
    may carry its raw bytes (a terminal escape in a candidate's source) to whoever cats it."""
    return base64.b64encode(pickle.dumps(value))


def _decoded(data: bytes):
    return pickle.loads(base64.b64decode(data, validate=True))
