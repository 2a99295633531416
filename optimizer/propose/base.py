"""The proposer protocol: every source of candidates looks the same to the loop."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Protocol

from ..model import Candidate, Target


@dataclass
class ProposalContext:
    module_source: str                                       # the target module's whole text
    callee_sources: dict[str, str] = field(default_factory=dict)   # qualname -> source
    share: float | None = None                               # the target's profile share, if profiled
    python_version: str = field(default_factory=lambda: "%d.%d" % sys.version_info[:2])
    block_profile: str = ""                                  # per-block hit counts of the original
    feedback: str = ""                                       # reserved for repair/refine rounds (#6)


class Proposer(Protocol):
    name: str

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        """Up to k candidates. Never raises for a bad answer: such a candidate carries `error`."""
        ...
