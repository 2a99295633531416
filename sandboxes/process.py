"""The `process` backend: limits, a new session, a group kill on timeout.

It contains what rlimits, process groups and (where available) a pids cgroup
can contain: CPU time, memory, file sizes, the number of processes, runaway
time, the environment, the temporary directory. It does NOT stop a candidate
from reading or writing files elsewhere or from opening network connections:
that is what the bwrap backend adds. Output is kept to its first and last 64 KiB
per stream and disk growth is watched (`run_contained`), as under bwrap.

Runs see the workspace at its own (temporary) path, and HOME stays
`workspace/.home`: without a mount namespace the user's real home could only be
shown as itself, readable and writable, so the harness stays recognisable here.
"""
from __future__ import annotations

import locale
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Mapping, Sequence

from .base import Limits, RunResult, scrubbed_env
from .cgroup import PidsGroup


class ProcessSandbox:
    name = "process"
    isolates_files = False

    def shown_path(self, workspace: Path, writable: Sequence[Path] = ()) -> None:
        """Runs see the workspace at its own path (no mount namespace to show it elsewhere)."""
        return None

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0, writable: Sequence[Path] = (),
            stdin: str | None = None) -> RunResult:
        env = dict(env) if env is not None else scrubbed_env(workspace)
        private_tmp = tempfile.mkdtemp(prefix="optimize-tmp-")
        env.update(TMPDIR=private_tmp, TMP=private_tmp, TEMP=private_tmp)
        try:
            return run_contained(list(cmd), workspace, env, limits, timeout, stdin=stdin,
                                 watch=[private_tmp, *writable])
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


# Of each output stream, the first and the last KEEP_BYTES are kept; what lies between
# is counted and dropped as it arrives (a candidate printing gigabytes costs 2 x 128 KiB).
KEEP_BYTES = 64 * 1024
# How often the disk watchdog looks at the file systems a run can write to.
DISK_POLL_SECONDS = 0.1


def run_contained(argv: list[str], cwd: Path, env: Mapping[str, str], limits: Limits,
                  timeout: float, signal_of=lambda rc: -rc if rc < 0 else 0, stdin: str | None = None,
                  watch: Sequence[Path] = ()) -> RunResult:
    """Start argv in a new session under the limits, wait at most `timeout`, and
    leave nothing of it running. signal_of(returncode): the signal that ended the
    command, 0 if none (a wrapper such as bwrap reports it as 128 + N).

    Output: stdout and stderr are read as they come by two threads, each keeping its
    first and last KEEP_BYTES (a marker line says how much was dropped between), so
    memory stays bounded and nothing goes to disk.

    Disk: a watchdog polls the used space of the file systems holding `cwd` and the
    paths in `watch` every DISK_POLL_SECONDS and kills the run when it has grown by
    more than `limits.disk_bytes` since the start (limit "disk"); RLIMIT_FSIZE caps
    each file at the same size. So the host's disk grows by at most disk_bytes plus
    what the disk can write in one poll interval (plus the kill's latency). The
    measure is of the whole file system: other processes writing to (or deleting
    from) it at the same time count too."""
    group = PidsGroup.make(limits.max_processes) if limits.max_processes else None
    disk = _DiskWatch([cwd, *watch], limits.disk_bytes) if limits.disk_bytes else None
    start = time.perf_counter()
    try:
        proc = _Popen(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      start_new_session=True, preexec_fn=_preexec(limits, group, _nproc_limit(limits, group)))
    except (OSError, subprocess.SubprocessError) as exc:
        if group:
            group.close()
        return RunResult(127, "", f"cannot start {argv[0]}: {exc}", 0.0)
    out, err = _Capped(), _Capped()
    threads = [_thread(_pump, proc.stdout, out), _thread(_pump, proc.stderr, err)]
    if stdin is not None:
        threads.append(_thread(_feed, proc.stdin, stdin.encode(_ENCODING, errors="replace")))
    if disk:
        _thread(disk.watch, lambda: _kill_all(proc, group))
    timed_out = lost = False
    try:
        try:
            # EOF on both pipes first (a finished command's stray children may hold them), then
            # the exit: joining threads wakes at once, where Popen.wait(timeout) polls with sleeps
            for t in threads:
                t.join(max(0.0, start + timeout - time.perf_counter()))
            if any(t.is_alive() for t in threads):
                raise subprocess.TimeoutExpired(argv, timeout)
            proc.wait(timeout=max(1.0, start + timeout - time.perf_counter()))
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_all(proc, group)
            for t in threads:
                t.join(max(0.0, start + timeout + 10 - time.perf_counter()))
            lost = any(t.is_alive() for t in threads)   # an escaped descendant still holds our pipes
            proc.kill()
            proc.wait()
    except BaseException:
        _kill_all(proc, group)   # Ctrl-C: leave nothing running behind us
        proc.wait()
        raise
    finally:
        if disk:
            disk.stop()   # before the group goes: the watchdog never kills once the run is over
        _kill_all(proc, group)   # stray grandchildren of a finished command
        hit_pids = bool(group and group.hit_limit())
        if group:
            group.close()
    if not lost:
        for pipe in (proc.stdout, proc.stderr, proc.stdin):
            if pipe:
                pipe.close()
    seconds = time.perf_counter() - start
    rc = proc.returncode
    stdout, stderr = out.text(), err.text()
    if lost:
        stderr += "\n(output cut short: a process outside the sandbox's reach kept it open)"
    peak = proc.rusage.ru_maxrss * 1024 if proc.rusage else 0
    hit_disk = bool(disk and disk.exceeded)
    return RunResult(rc, stdout, stderr, seconds, timed_out=timed_out, peak_bytes=peak,
                     limit="disk" if hit_disk else _which_limit(rc, signal_of(rc or 0), timed_out, hit_pids,
                                                                stdout + stderr),
                     disk_bytes=limits.disk_bytes if hit_disk else 0)


_ENCODING = locale.getpreferredencoding(False)


class _Capped:
    """The first and the last KEEP_BYTES of a stream, and how many bytes it had."""

    def __init__(self, keep: int = KEEP_BYTES):
        self.keep, self.total = keep, 0
        self.head, self.tail = bytearray(), bytearray()

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.keep - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if len(chunk) >= self.keep:
            self.tail[:] = chunk[-self.keep:]
        elif chunk:
            self.tail += chunk
            del self.tail[:max(0, len(self.tail) - self.keep)]

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        data = self.head.decode(_ENCODING, errors="replace")
        if omitted:
            data += f"\n… [{omitted} bytes of output omitted] …\n"
        data += self.tail.decode(_ENCODING, errors="replace")
        return data.replace("\r\n", "\n").replace("\r", "\n")   # as text=True's universal newlines


def _thread(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _pump(pipe, sink: _Capped) -> None:
    fd = pipe.fileno()
    try:
        while chunk := os.read(fd, 65536):
            sink.feed(chunk)
    except OSError:
        pass


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError, ValueError):   # it exited (or closed stdin) without reading it all
        pass


class _DiskWatch:
    """Kills the run once the used space of the file systems it can write to grew by
    more than `limit` bytes since the start."""

    def __init__(self, paths: Sequence[Path], limit: int):
        self.limit, self.exceeded = limit, False
        self.paths: dict[int, str] = {}   # one path per file system
        for path in paths:
            try:
                self.paths.setdefault(os.stat(path).st_dev, str(path))
            except OSError:
                continue
        self.start = self._used()
        self._lock, self._done = threading.Lock(), False

    def _used(self) -> int:
        used = 0
        for path in self.paths.values():
            try:
                st = os.statvfs(path)
            except OSError:
                continue
            used += (st.f_blocks - st.f_bfree) * st.f_frsize
        return used

    def watch(self, kill) -> None:
        while True:
            time.sleep(DISK_POLL_SECONDS)
            grown = self._used() - self.start
            with self._lock:
                if self._done:
                    return
                if grown > self.limit:
                    self.exceeded = True
                    kill()
                    return

    def stop(self) -> None:
        with self._lock:
            self._done = True


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
            (resource.RLIMIT_FSIZE, min(filter(None, (limits.file_bytes, limits.disk_bytes)), default=None)),
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
