"""The `process` backend: limits, a new session, a group kill on timeout.

It contains what rlimits, process groups and (where available) a pids cgroup
can contain: CPU time, memory, file sizes, the number of processes, runaway
time, the environment, the temporary directory. It does NOT stop a candidate
from reading or writing files elsewhere or from opening network connections:
that is what the bwrap backend adds.
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Mapping, Sequence

from .base import Limits, RunResult, scrubbed_env
from .cgroup import PidsGroup


class ProcessSandbox:
    name = "process"
    isolates_files = False

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0, writable: Sequence[Path] = (),
            stdin: str | None = None) -> RunResult:
        env = dict(env) if env is not None else scrubbed_env(workspace)
        private_tmp = tempfile.mkdtemp(prefix="optimize-tmp-")
        env.update(TMPDIR=private_tmp, TMP=private_tmp, TEMP=private_tmp)
        try:
            return run_contained(list(cmd), workspace, env, limits, timeout, stdin=stdin)
        finally:
            shutil.rmtree(private_tmp, ignore_errors=True)


class _Popen(subprocess.Popen):
    """Popen that keeps the child's resource usage (peak memory) when it reaps it.
    `_try_wait` is CPython's single place where a POSIX child is waited for."""

    rusage = None

    def _try_wait(self, wait_flags):
        try:
            pid, status, usage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return (self.pid, 0)   # what Popen does: someone else reaped it
        if pid == self.pid:
            self.rusage = usage
        return (pid, status)


def run_contained(argv: list[str], cwd: Path, env: Mapping[str, str], limits: Limits,
                  timeout: float, signal_of=lambda rc: -rc if rc < 0 else 0, stdin: str | None = None) -> RunResult:
    """Start argv in a new session under the limits, wait at most `timeout`, and
    leave nothing of it running. signal_of(returncode): the signal that ended the
    command, 0 if none (a wrapper such as bwrap reports it as 128 + N)."""
    group = PidsGroup.make(limits.max_processes) if limits.max_processes else None
    start = time.perf_counter()
    try:
        proc = _Popen(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                      start_new_session=True, preexec_fn=_preexec(limits, group, _nproc_limit(limits, group)))
    except (OSError, subprocess.SubprocessError) as exc:
        if group:
            group.close()
        return RunResult(127, "", f"cannot start {argv[0]}: {exc}", 0.0)
    timed_out = False
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_all(proc, group)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:   # an escaped descendant still holds our pipes
            proc.kill()
            out, err = "", "(output lost: a process outside the sandbox's reach kept it open)"
            proc.wait()
    except BaseException:
        _kill_all(proc, group)   # Ctrl-C: leave nothing running behind us
        proc.wait()
        raise
    finally:
        _kill_all(proc, group)   # stray grandchildren of a finished command
        hit_pids = bool(group and group.hit_limit())
        if group:
            group.close()
    seconds = time.perf_counter() - start
    rc = proc.returncode
    peak = proc.rusage.ru_maxrss * 1024 if proc.rusage else 0
    return RunResult(rc, out, err, seconds, timed_out=timed_out, peak_bytes=peak,
                     limit=_which_limit(rc, signal_of(rc or 0), timed_out, hit_pids, out + err))


def _which_limit(rc: int | None, sig: int, timed_out: bool, hit_pids: bool, output: str) -> str:
    # First: a fork bomb at its cap often lingers until the timeout. Without a cgroup,
    # RLIMIT_NPROC shows only as fork()'s EAGAIN.
    if (rc or timed_out) and (hit_pids or "BlockingIOError: [Errno 11] Resource temporarily unavailable" in output):
        return "processes"
    if timed_out:
        return "timeout"
    if sig == signal.SIGXCPU:
        return "cpu time"
    if sig == signal.SIGXFSZ or (rc and "File too large" in output):   # Python ignores SIGXFSZ: EFBIG
        return "file size"
    if rc and "MemoryError" in output:
        return "memory"
    return ""


def _nproc_limit(limits: Limits, group: PidsGroup | None) -> int | None:
    """Without a cgroup, RLIMIT_NPROC is the fallback; but it counts every thread the
    user runs (a desktop session has hundreds) and binds nothing for root. So: the
    user's threads now plus the allowance, and nothing for root."""
    if group or not limits.max_processes or os.geteuid() == 0:
        return None
    uid, threads = str(os.getuid()), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [uid]:
            threads += int(fields.get("Threads", "1"))
    return threads + limits.max_processes


def _preexec(limits: Limits, group: PidsGroup | None, nproc: int | None):
    def apply() -> None:
        if group:
            group.join()
        pairs = [
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NPROC, nproc),
        ]
        for which, value in pairs:
            if value is not None:
                # soft < hard for CPU time: SIGXCPU at the soft limit names the cause (SIGKILL would not)
                resource.setrlimit(which, (value, value + 1 if which == resource.RLIMIT_CPU else value))
    return apply


def _kill_all(proc: subprocess.Popen, group: PidsGroup | None) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if group:
        group.kill()   # also those that left the process group with setsid()
