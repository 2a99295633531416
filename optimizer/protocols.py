"""The seams of the engine, each one small protocol. Front ends choose the parts:

- `Proposer`: where candidates come from (a model, a transcript, the catalog, a human);
- `Judge`: what happens to one candidate (verification, then measurement): a judgement;
- `Keeper`: what keeping a target's winner means (branch + patch, working tree,
  a review comment, a session's confirmation);
- `Events`: what the user sees while it runs (the rich view, a plain log, a REPL);
- `Executor`: who works on the located targets (here, one at a time; or Ray tasks).

Every attribute the engine reads is declared here; nothing is probed with getattr.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator, Protocol

from .propose.base import ProposalContext, Proposer

if TYPE_CHECKING:
    from .model import Candidate, Hotspot, Kept, Outcome, Target, TargetResult
    from .session import Session

__all__ = ["Events", "Executor", "Judge", "Keeper", "NullEvents", "ProposalContext", "Proposer", "SuggestInputs"]

# (target, original source, candidate source, diff) -> argument tuple literals, one per line
SuggestInputs = Callable[..., list[str]]


class Judge(Protocol):
    def judge(self, candidate: "Candidate") -> "Outcome":
        """Its judgement: "passed" (verified and significantly better), "rejected" or
        "undecided". Never raises for the candidate's misbehaviour."""
        ...

    def confirm(self, outcome: "Outcome") -> "Outcome":
        """A last check of the chosen winner (a "passed" outcome) before it is kept: the
        outcome, possibly with more said in its reason, or a new "rejected" one, after
        which the next best is chosen and confirmed in turn."""
        ...


class Keeper(Protocol):
    def keep(self, result: "TargetResult") -> "Kept | None":
        """Keep the result's winner (the caller checks there is one); None when declined."""
        ...


class Executor(Protocol):
    name: str   # "local", "ray": the report records it

    def optimize(self, session: "Session", targets: "list[Target]", proposers: list[Proposer],
                 may_start: Callable[[], bool]) -> "Iterator[TargetResult]":
        """Each target's result as it is finished (its captured calls are the session's);
        no target is started once `may_start()` is False. A target that could not be
        worked on is still a result (TargetResult.lost), never left out."""
        ...


class Events(Protocol):
    """Emitted after the fact: a judgement once it is made, a target's result once its
    winner is chosen. Nothing emitted is taken back later."""

    def stage(self, text: str) -> None: ...

    def note(self, text: str) -> None: ...

    def hotspots(self, hotspots: "list[Hotspot]") -> None: ...

    def candidates(self, target: str, total: int) -> None: ...

    def judged(self, outcome: "Outcome") -> None: ...

    def target_done(self, result: "TargetResult") -> None: ...


class NullEvents:
    """Shows nothing (a library caller that only wants the values)."""

    def stage(self, text: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def hotspots(self, hotspots: "list[Hotspot]") -> None:
        pass

    def candidates(self, target: str, total: int) -> None:
        pass

    def judged(self, outcome: "Outcome") -> None:
        pass

    def target_done(self, result: "TargetResult") -> None:
        pass
