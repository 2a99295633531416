"""The `process` backend: limits, a new session, a group kill on timeout.

It contains what rlimits and process groups can contain: CPU time, memory,
file sizes, runaway time, the environment. It does NOT stop a candidate from
reading or writing files elsewhere or opening network connections.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from pathlib import Path
from typing import Mapping, Sequence

from .base import Limits, RunResult, scrubbed_env


def _preexec(limits: Limits):
    def apply() -> None:
        pairs = [
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_AS, limits.memory_bytes),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NPROC, limits.max_processes),
        ]
        for which, value in pairs:
            if value is not None:
                resource.setrlimit(which, (value, value))
    return apply


class ProcessSandbox:
    name = "process"

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0) -> RunResult:
        env = dict(env) if env is not None else scrubbed_env(workspace)
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(cmd), cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                start_new_session=True, preexec_fn=_preexec(limits),
            )
        except OSError as exc:
            return RunResult(127, "", f"cannot start {cmd[0]}: {exc}", 0.0)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            out, err = proc.communicate()
        except BaseException:
            _kill_group(proc)   # Ctrl-C: leave nothing running behind us
            proc.wait()
            raise
        finally:
            _kill_group(proc)   # stray grandchildren of a finished command
        seconds = time.perf_counter() - start
        rc = proc.returncode
        killed = rc is not None and rc < 0 and -rc in (signal.SIGXCPU, signal.SIGKILL, signal.SIGXFSZ)
        return RunResult(rc, out, err, seconds, timed_out=timed_out,
                         killed_by_limit=killed and not timed_out)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
