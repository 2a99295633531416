"""The `bwrap` backend: bubblewrap's namespaces on top of the process backend's limits.

Inside, the candidate sees:
- the root file system read-only (the user's repository included);
- a private /tmp (a size-limited tmpfs), from which only what the run needs
  shows through read-only: the interpreter and the optimizer's own code when
  they live under /tmp, and the folder holding the workspace (where the
  original's recorded calls and outcomes are kept);
- the workspace itself and the paths given as `writable`, read-write;
- no network (a new, empty network namespace), its own pid namespace (all of
  it dies with the sandbox), a new session (no terminal injection), no
  capabilities when started by root;
- empty stand-ins for the usual credential files in the real home directory.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

from .base import Limits, RunResult, scrubbed_env
from .process import run_contained

TMP_BYTES = 1024**3

# Credentials a home directory commonly holds; hidden even though reading them
# would also need a way out (no network here, and the workspace is thrown away).
_CREDENTIALS = (".ssh", ".aws", ".azure", ".config/gcloud", ".config/gh", ".docker", ".kube", ".gnupg",
                ".netrc", ".git-credentials", ".pypirc", ".npmrc", ".config/openai", ".anthropic")


class BwrapSandbox:
    name = "bwrap"
    isolates_files = True

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0, writable: Sequence[Path] = (),
            stdin: str | None = None) -> RunResult:
        env = dict(env) if env is not None else scrubbed_env(workspace)
        env.update(TMPDIR="/tmp", TMP="/tmp", TEMP="/tmp")
        return run_contained(bwrap_argv(workspace, writable) + list(cmd), workspace, env, limits, timeout,
                             signal_of=lambda rc: rc - 128 if rc > 128 else -rc if rc < 0 else 0, stdin=stdin)


def bwrap_argv(workspace: Path, writable: Sequence[Path] = ()) -> list[str]:
    workspace = Path(workspace).resolve()
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in _visible_under_tmp() + [str(workspace.parent)]:
        if _under_tmp(path) and os.path.exists(path):
            args += ["--ro-bind", path, path]
    for path in [workspace, *writable]:
        path = str(Path(path).resolve())
        args += ["--bind", path, path]
    args += _hide_credentials()
    args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
             "--new-session", "--die-with-parent", "--chdir", str(workspace)]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]   # else root inside could remount the read-only binds
    return args + ["--"]


@functools.cache
def _visible_under_tmp() -> list[str]:
    """The interpreter and the import path of this process: the sandboxed Python
    is this one, and finds its packages (the optimizer's bootstrap too) there."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             str(Path(__file__).resolve().parent.parent)}
    paths.update(p for p in sys.path if p)
    return sorted(os.path.realpath(p) for p in paths)


def _under_tmp(path: str) -> bool:
    """Strictly below /tmp: /tmp itself (a script run from there) is never shown through."""
    return path.startswith("/tmp/")


def _hide_credentials() -> list[str]:
    home = Path.home()
    args: list[str] = []
    for rel in _CREDENTIALS:
        path = home / rel
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.exists():
            args += ["--ro-bind", "/dev/null", str(path)]
    return args


@functools.cache
def bwrap_problem() -> str:
    """Why bwrap cannot be used here ('' when it can): not installed, or the kernel
    or container refuses the namespaces. Probed once per process."""
    with tempfile.TemporaryDirectory(prefix="optimize-probe-") as tmp:
        try:
            result = subprocess.run(bwrap_argv(Path(tmp)) + ["true"], capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            return "bubblewrap is not installed (Debian/Ubuntu: apt-get install -y bubblewrap)"
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap does not start: {exc}"
    if result.returncode != 0:
        return "bubblewrap cannot create its namespaces here: " + (result.stderr.strip().splitlines() or ["?"])[-1]
    return ""
