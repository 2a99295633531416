"""The proposer protocol: every source of candidates looks the same to the loop."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Protocol

from ..model import Candidate, LLMUsage, Target


@dataclass
class ProposalContext:
    """Everything a proposer may use for one request. `mode` picks the prompt:
    "optimize" (round 1), "repair" (a rejected near-miss, with why) or "refine"
    (the best kept version, with its measured speedup and line profile)."""

    module_source: str                                       # the target module's whole text
    callee_sources: dict[str, str] = field(default_factory=dict)   # qualname -> source
    share: float | None = None                               # the target's profile share, if profiled
    python_version: str = field(default_factory=lambda: _repository_python())
    block_profile: str = ""                                  # per-block hit counts of the original
    mode: str = "optimize"
    step: str = "r1/optimize"                                # names the request in caches and transcripts
    annotated_source: str = ""                               # source with per-line time shares
    libraries: list[str] = field(default_factory=list)       # importable third-party packages
    patterns: list[dict] = field(default_factory=list)       # catalog patterns that match: id, description
    examples: list[dict] = field(default_factory=list)       # retrieved slow->fast pairs
    budget: str = ""                                         # what the model may still spend
    previous: str = ""                                       # repair/refine: the version to start from
    previous_imports: tuple[str, ...] = ()                   # ... and the imports it added to the module
    feedback: str = ""                                       # repair: why it was rejected; refine: measurements
    hints: tuple[str, ...] = ()                              # a person's constraints and ideas (optimize session)

    def identity(self) -> dict:
        """What makes two requests the same question, for the response cache: the mode, the
        step and the code involved, not the figures measured along the way (line shares,
        speedups, the budget left) nor the retrieved examples, which vary between reruns
        of the same code. A repair is identified by the code it repairs, not by the failure
        text: that names generated calls and traces, which depend on the run's random hash
        seed (sandboxes.HASH_SEED). So an identical rerun hits the cache; any change of code
        misses."""
        return {"mode": self.mode, "step": self.step, "module": self.module_source, "previous": self.previous,
                **({"hints": list(self.hints)} if self.hints else {})}


class Proposer(Protocol):
    name: str
    # False for code written by a model (or replayed from one): adversarial by assumption,
    # it runs only in a sandbox that isolates files unless the user chose --sandbox process.
    # True only for the offline catalog, whose rewrites are this package's own code.
    trusted: bool
    # True where later rounds make sense (a model can repair and refine); the catalog
    # gives the same rewrites every time, so it is asked in round 1 only.
    iterative: bool
    # What it spent (calls, tokens, cost, cached answers); None for a proposer that spends nothing.
    usage: "LLMUsage | None"
    # Inputs likely to tell the original and a candidate apart (a model's guess), or None.
    suggest_inputs: "Callable[[Target, str, str, str], list[str]] | None"

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        """Up to k candidates. Never raises for a bad answer: such a candidate carries `error`."""
        ...


def _repository_python() -> str:
    """"3.11": the version of the Python the repository's code runs in (--python or its own
    environment), which is what a rewrite's speed depends on, not the optimizer's."""
    from .. import interpreter

    return "%d.%d" % tuple(interpreter.current().version[:2])


class FreshLocks:
    """Pickles without its threading locks, which cannot be pickled: a copy (a Ray task's)
    makes its own. `_locks` names the attributes that hold one."""

    _locks: tuple[str, ...] = ("_lock",)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self._locks}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in self._locks:
            setattr(self, name, threading.Lock())
