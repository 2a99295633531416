"""Executors: who works on a run's targets once they are located and captured.

A unit of work is one target: its captured calls reused, the original replayed,
candidates proposed, verified and measured, the winner chosen. The result comes back
as a value (an immutable TargetResult); keeping it (branch, patch, report, progress)
stays with the driver, `run.py`, whichever executor worked on it.

- `LocalExecutor` (the default): one target at a time, in this process.
- `RayExecutor` (`--executor ray`, `pip install 'optimize[ray]'`): each target a Ray
  task. A task receives the repository snapshot (one object, put once) and its
  target's captured calls as objects, so no shared file system is assumed; it
  unpacks them on its node and runs the same engine there (Session.optimize), with
  the sandbox the driver chose. A node may verify several targets at once (one task
  per CPU), but measures one candidate at a time: every timing (the A/A calibration,
  each A/B measurement, the --bench confirmation) holds the node's measurement slot,
  an exclusive lock on a file in the node's temporary folder
  (MeasureSettings.lock). A lock rather than a Ray resource: a task cannot take a
  resource part way through, and the kernel releases a killed worker's lock.
  A task whose worker or node dies is retried once on the cluster (the report says
  so); dying again, the target is reported lost, never silently dropped. A task that
  fails with an error of its own is reported with that error, not retried.

Both stop starting targets when `may_start()` says no (a budget); targets already
running finish.
"""
from __future__ import annotations

import io
import os
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from . import interpreter
from .errors import UsageError
from .model import Hotspot, LLMUsage, Target, TargetResult
from .propose.budget import Budget
from .protocols import Proposer
from .settings import RunSettings
from .verify import Baseline, TestRun

RETRIES = 1                       # a target whose worker died is tried once more
TASK_NAME = "optimize_target"     # a Ray worker's process title says ray::optimize_target:<target> meanwhile


class LocalExecutor:
    name = "local"

    def optimize(self, session, targets: list[Target], proposers: list[Proposer],
                 may_start: Callable[[], bool]) -> Iterator[TargetResult]:
        for target in targets:
            if not may_start():
                return
            yield session.optimize(target, proposers)

    def close(self) -> None:
        pass


@dataclass
class TargetJob:
    """What a Ray task needs besides the snapshot and the captured calls. The proposers and
    the budget are pickled together, so the task's proposers spend from its budget copy."""

    settings: RunSettings
    python: interpreter.Interpreter
    target: Target
    baseline: Baseline
    suite: TestRun | None
    hotspots: list[Hotspot]
    proposers: list[Proposer]
    budget: Budget


def measurement_lock() -> str:
    """This machine's measurement slot: one file every measurement on it locks."""
    return os.path.join(tempfile.gettempdir(), "optimize-measure.lock")


def optimize_on_node(job: TargetJob, snapshot: bytes, calls: bytes) -> tuple[TargetResult, list[LLMUsage], LLMUsage]:
    """A Ray task's body: the engine on this node, over the unpacked snapshot. Returns the
    result, what each proposer used here and what the budget paid for (the driver adds
    both to the run's)."""
    from .session import Session

    interpreter.use(job.python)
    spent_before = [replace(p.usage) if p.usage is not None else None for p in job.proposers]
    paid_before = replace(job.budget.spent)
    with tempfile.TemporaryDirectory(prefix="optimize-node-") as tmp:
        repo = Path(tmp, "repo")
        with tarfile.open(fileobj=io.BytesIO(snapshot), mode="r:gz") as tar:
            tar.extractall(repo, filter="tar")
        settings = replace(job.settings, repo=repo, out_dir=Path(tmp, "out"),
                           measure=replace(job.settings.measure, lock=measurement_lock()))
        with Session(settings, budget=job.budget) as session:
            calls_file = session.ws.scratch("capture") / "calls.pkl"   # where the sandbox lets workers read
            calls_file.write_bytes(calls)
            session.suite, session.hotspots = job.suite, job.hotspots
            session.baselines[job.target.name] = replace(job.baseline, captured_file=calls_file, calls_file=None,
                                                         expected_file=None)
            # session.notes (which sandbox, which Python) repeat what the driver said: the same settings
            result = session.optimize(job.target, job.proposers)
    usage = [_minus(p.usage, before) if p.usage is not None else LLMUsage()
             for p, before in zip(job.proposers, spent_before)]
    return result, usage, _minus(job.budget.spent, paid_before)


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, retries: int = RETRIES, num_cpus: int | None = None):
        self.address = address    # None: a local Ray instance with this machine's cores
        self.retries = retries
        self.num_cpus = num_cpus
        self._started = False

    def connect(self) -> None:
        """Join the cluster (or start a local one): a missing extra or an unreachable
        address is the user's to fix (UsageError), said before any work."""
        if self.address:
            _check_reachable(self.address)
            if "RAY_AUTH_MODE" not in os.environ and _has_token():
                # `ray start` turns token authentication on (Ray >= 2.59); a client sends its token
                # only in token mode, which a cluster without authentication accepts too. Ray reads
                # it when imported: set before.
                os.environ["RAY_AUTH_MODE"] = "token"
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")   # not a screen of retry warnings
        ray = _ray()
        if ray.is_initialized():
            return
        import logging

        try:
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus, include_dashboard=False,
                     log_to_driver=False, logging_level=logging.WARNING, configure_logging=True)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UsageError(f"--executor ray: cannot reach the Ray cluster"
                             f"{' at ' + self.address if self.address else ''}: {exc}") from None
        self._started = True

    def close(self) -> None:
        if self._started:
            _ray().shutdown()
            self._started = False

    def optimize(self, session, targets: list[Target], proposers: list[Proposer],
                 may_start: Callable[[], bool]) -> Iterator[TargetResult]:
        ray = _ray()
        self.connect()
        from ray.exceptions import RayError, RayTaskError

        snapshot = ray.put(_tar(session.ws.base))
        task = ray.remote(optimize_on_node)
        settings = replace(session.settings, sandbox=session.sandbox.name)   # never a weaker one on a node
        queue, running, died = list(targets), {}, {}
        slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        try:
            while queue or running:
                while queue and len(running) < slots and may_start():
                    target = queue.pop(0)
                    baseline = session.baselines[target.name]
                    job = TargetJob(settings, interpreter.current(), target, baseline, session.suite,
                                    session.hotspots, proposers, session.budget)
                    calls = baseline.captured_file.read_bytes() if baseline.captured_file else b""
                    ref = task.options(name=f"{TASK_NAME}:{target.name}", num_cpus=1, max_retries=0) \
                        .remote(job, snapshot, ray.put(calls))
                    running[ref] = target
                    session.events.stage(f"ray: {len(running)} target(s) on the cluster; started {target.qualname}")
                if not running:
                    return
                [ref], _ = ray.wait(list(running), num_returns=1)
                target = running.pop(ref)
                try:
                    result, usage, paid = ray.get(ref)
                except RayTaskError as exc:   # our code failed on the node: the same would happen again
                    result = _lost(target, f"its task failed on the cluster: {_last_line(exc)}")
                except RayError as exc:       # the worker or its node died
                    why = f"{type(exc).__name__}: {_last_line(exc)}"
                    deaths = died.setdefault(target.name, [])
                    deaths.append(why)
                    if len(deaths) <= self.retries:
                        queue.insert(0, target)
                        continue
                    result = _lost(target, f"its worker died {len(deaths)} time(s): {why}")
                else:
                    for proposer, used in zip(proposers, usage):
                        if proposer.usage is not None:
                            proposer.usage.add(used)
                    session.budget.add_spent(paid)
                    if target.name in died:
                        result = replace(result, notes=(f"{target.name}: its first worker died "
                                                        f"({died[target.name][0]}); retried on the cluster",)
                                         + result.notes)
                for outcome in result.outcomes:   # the node showed nothing: what it judged, told here
                    session.events.judged(outcome)
                session.events.target_done(result)
                yield result
        finally:
            for ref in running:
                ray.cancel(ref, force=True)


def _check_reachable(address: str) -> None:
    """A host:port that nothing answers on fails at once, in one line (Ray would retry
    for a minute). Other forms (ray://, auto) are left to Ray."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "/" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise UsageError(f"--executor ray: nothing answers at {address} ({exc.strerror or exc}); start the "
                         f"cluster's head with: ray start --head --port={port}") from None


def _has_token() -> bool:
    return bool(os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                or Path("~/.ray/auth_token").expanduser().is_file())


def _lost(target: Target, why: str) -> TargetResult:
    return TargetResult(target, notes=(f"lost {target.name}: {why}",), skipped=why, lost=True)


def _last_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else type(exc).__name__


def _minus(after: LLMUsage, before: LLMUsage) -> LLMUsage:
    return LLMUsage(after.calls - before.calls, after.prompt_tokens - before.prompt_tokens,
                    after.completion_tokens - before.completion_tokens, after.cost_usd - before.cost_usd,
                    after.cached - before.cached)


def _tar(root: Path) -> bytes:
    """The workspace's pristine copy as one gzipped tar: the snapshot every task unpacks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        tar.add(root, arcname=".")
    return buf.getvalue()


def _ray():
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray: pip install 'optimize[ray]'") from None
    return ray


def executor_for(name: str, address: str | None) -> LocalExecutor | RayExecutor:
    if address and name != "ray":
        raise UsageError("--ray-address goes with --executor ray")
    return RayExecutor(address) if name == "ray" else LocalExecutor()
