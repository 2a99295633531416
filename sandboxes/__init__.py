"""Where untrusted code runs. One protocol (`Sandbox.run`), two backends.

- `bwrap`: bubblewrap namespaces (read-only root, private /tmp, no network,
  own pid namespace) on top of the process backend's limits. The default
  wherever bubblewrap works.
- `process`: resource limits, a pids cgroup where possible, a new session, an
  allow-listed environment, a private TMPDIR and a kill of everything it
  started on timeout. It does not isolate the file system or the network.

A container backend (docker/podman) would be a third class with the same `run`.
Before anything runs, `capability.check` rejects candidates that reach for
powers the original did not use.
"""
from .base import Limits, RunResult, Sandbox, scrubbed_env
from .bwrap import BwrapSandbox, bwrap_problem
from .process import ProcessSandbox

BACKENDS = ("auto", "bwrap", "process")


class SandboxUnavailable(Exception):
    """The backend asked for cannot run on this machine; the message says why."""


def get_sandbox(name: str = "auto") -> tuple[Sandbox, str]:
    """The backend and a warning for the report ('' when none). "auto" is bwrap
    where it works, else process with a warning that says what that gives up."""
    if name == "process":
        return ProcessSandbox(), PROCESS_WARNING
    if name in ("bwrap", "auto"):
        problem = bwrap_problem()
        if not problem:
            return BwrapSandbox(), ""
        if name == "bwrap":
            raise SandboxUnavailable(f"--sandbox bwrap: {problem}")
        return ProcessSandbox(), f"{problem}; using the process sandbox. {PROCESS_WARNING}"
    raise SandboxUnavailable(f"unknown sandbox backend {name!r} (choose from {', '.join(BACKENDS)})")


PROCESS_WARNING = ("The process sandbox limits time, memory, processes and the environment, but does not "
                   "isolate the file system or the network: candidates are screened by the static "
                   "capability check only.")

__all__ = ["BACKENDS", "BwrapSandbox", "Limits", "ProcessSandbox", "RunResult", "Sandbox",
           "SandboxUnavailable", "bwrap_problem", "get_sandbox", "scrubbed_env"]
