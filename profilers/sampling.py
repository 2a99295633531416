"""Sample call stacks of a workload: py-spy when it can attach, else an in-process
sampling thread (installed by the optimizer's sitecustomize). Both yield py-spy's
raw format: `frame;frame;... count`, outermost frame first."""
from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sandboxes import Sandbox

Frame = tuple[str, str, int]   # (function, file, line)


@dataclass
class Profile:
    stacks: Counter = field(default_factory=Counter)   # tuple[Frame, ...] -> samples
    tool: str = ""
    seconds: float = 0.0
    error: str = ""

    @property
    def total(self) -> int:
        return sum(self.stacks.values())


def profile(sandbox: Sandbox, workspace: Path, command: list[str], env: dict[str, str],
            timeout: float = 1800.0, rate: int = 1000, enough: int = 50, use_py_spy: bool = True) -> Profile:
    """Profile with py-spy; when it cannot attach or gets fewer than `enough` samples
    (a short workload, a restricted ptrace), also run the in-process sampler and keep
    whichever saw more. File names are the workspace's: where the sandbox shows the
    workspace elsewhere (bwrap at the user's repository path), they are mapped back."""
    shown = getattr(sandbox, "shown_path", lambda ws: None)(workspace)
    best = _profile(sandbox, workspace, command, env, timeout, rate, enough, use_py_spy)
    if shown:
        mapped: Counter = Counter()
        for stack, n in best.stacks.items():
            mapped[tuple((func, _unshow(path, shown, workspace), line) for func, path, line in stack)] += n
        best.stacks = mapped
    return best


def _unshow(path: str, shown: Path, workspace: Path) -> str:
    shown_text = str(shown)
    if path == shown_text or path.startswith(shown_text + "/"):
        return str(workspace) + path[len(shown_text):]
    return path


def _profile(sandbox: Sandbox, workspace: Path, command: list[str], env: dict[str, str],
             timeout: float, rate: int, enough: int, use_py_spy: bool) -> Profile:
    out_dir = workspace / ".home" / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    best = Profile(tool="none")
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if use_py_spy and Path(py_spy).exists():
        raw = out_dir / "py-spy.txt"
        raw.unlink(missing_ok=True)   # a copy of a profiled workspace holds the last profile's file
        cmd = [py_spy, "record", "--format", "raw", "--full-filenames", "--subprocesses",
               "--rate", str(rate), "--output", str(raw), "--", *command]
        result = sandbox.run(cmd, workspace, env=env, timeout=timeout)
        best = Profile(parse_raw(raw.read_text()) if raw.exists() else Counter(), "py-spy", result.seconds,
                       error="" if result.ok else f"py-spy: {result.last_line()}")
        # py-spy may attach late to the Python process a `sh -c` workload starts (more so
        # on a loaded machine or in bwrap's pid namespace): a profile covering less than
        # half of the run's time may have missed its first phase, so the sampler runs too.
        if best.total >= enough and best.total >= 0.5 * rate * result.seconds:
            return best
    from optimizer.verify.runs import BOOTSTRAP   # its sitecustomize starts the sampler

    sampler_env = {**env, "OPTIMIZE_SAMPLE": str(out_dir),
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(BOOTSTRAP), env.get("PYTHONPATH")]))}
    for stale in out_dir.glob("samples-*.txt"):
        stale.unlink()
    result = sandbox.run(command, workspace, env=sampler_env, timeout=timeout)
    stacks: Counter = Counter()
    for path in out_dir.glob("samples-*.txt"):
        stacks.update(parse_raw(path.read_text()))
    sampled = Profile(stacks, "sampler", result.seconds,
                      error="" if result.ok else f"workload failed (exit {result.returncode}): {failure_reason(result)}")
    return sampled if sampled.total > best.total else best


def failure_reason(result) -> str:
    """A failed workload's reason: a missing module where one is named (pytest's last line
    is only "1 error in 0.1s" then), else the last line of its output."""
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        found = re.search(r"\b(?:ModuleNotFoundError|ImportError): .*", line)
        if found:
            return found.group(0)[:300]
    return result.last_line()


def parse_raw(text: str) -> Counter:
    stacks: Counter = Counter()
    for line in text.splitlines():
        body, _, count = line.rpartition(" ")
        if not body or not count.isdigit():
            continue
        frames = tuple(f for f in (_frame(part) for part in body.split(";")) if f)
        if frames:
            stacks[frames] += int(count)
    return stacks


def _frame(text: str) -> Frame | None:
    """'func (path/to/file.py:12)' -> ('func', 'path/to/file.py', 12); process labels -> None."""
    if not text.endswith(")") or " (" not in text:
        return None
    func, _, where = text[:-1].rpartition(" (")
    path, _, line = where.rpartition(":")
    return (func, path, int(line)) if line.isdigit() and path else None
