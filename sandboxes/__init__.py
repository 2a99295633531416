"""Where untrusted code runs. One protocol (`Sandbox.run`), several backends.

Only the `process` backend exists so far: a new session, resource limits, an
allow-listed environment and a process-group kill on timeout. It does not
isolate the file system or the network; the bwrap backend (issue #5) will.
"""
from .base import Limits, RunResult, Sandbox, scrubbed_env
from .process import ProcessSandbox


def get_sandbox(name: str = "process") -> Sandbox:
    if name == "process":
        return ProcessSandbox()
    raise ValueError(f"unknown sandbox backend {name!r} (available: process)")


__all__ = ["Limits", "RunResult", "Sandbox", "ProcessSandbox", "get_sandbox", "scrubbed_env"]
