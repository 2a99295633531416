"""A pids cgroup per run, where the machine lets us make one.

RLIMIT_NPROC cannot stop a fork bomb run by root (the kernel exempts uid 0),
and a process that calls setsid() leaves the process group a timeout kills.
A cgroup does both jobs: `pids.max` caps the number of tasks, and every
process in it is killed at the end of the run, wherever it wandered.
Both cgroup v1 (`/sys/fs/cgroup/pids`) and v2 (pids enabled for children) work;
elsewhere `PidsGroup.make` returns None and the backends do without.
"""
from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
_counter = itertools.count()


class PidsGroup:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def make(cls, max_pids: int) -> "PidsGroup | None":
        for root in _ROOTS:
            path = root / f"optimize-{os.getpid()}-{next(_counter)}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(max_pids))
                return cls(path)
            except OSError:   # no pids controller here
                path.rmdir()
        return None

    def join(self) -> None:
        """Called in the child before exec: it and all it starts belong to the group."""
        (self.path / "cgroup.procs").write_text("0")

    def hit_limit(self) -> bool:
        try:
            events = (self.path / "pids.events").read_text().split()
        except OSError:
            return False
        return len(events) >= 2 and events[0] == "max" and events[1] != "0"

    def kill(self) -> None:
        """SIGKILL every process in the group (a fork bomb's new children included:
        it cannot grow while at its limit, and each pass removes some)."""
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def close(self) -> None:
        """Kill whatever is left in the group and remove it."""
        for _ in range(200):
            self.kill()
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.01)
