"""What the model may still spend: calls and dollars, shared by every proposer.

A call is reserved before it is sent and settled with its real usage after,
so parallel calls cannot together pass --max-calls. Cost is only known after
a call returns: calls already in flight when the limit is reached may take
the spend past --max-cost by at most their own cost (at most k calls).
Answers served from the cache or a transcript cost nothing and reserve nothing.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..model import LLMUsage
from .base import FreshLocks


@dataclass
class Budget(FreshLocks):
    max_cost: float | None = None     # USD
    max_calls: int | None = None
    spent: LLMUsage = field(default_factory=LLMUsage)   # what was really sent
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reserve(self) -> bool:
        """Room for one more call? If so it is counted as in flight until settled."""
        with self._lock:
            if self._exhausted(self._in_flight):
                return False
            self._in_flight += 1
            return True

    def add_spent(self, used: LLMUsage) -> None:
        """What a copy of this budget paid elsewhere (a Ray task's)."""
        with self._lock:
            self.spent.add(used)

    def settle(self, used: LLMUsage) -> None:
        with self._lock:
            self._in_flight -= 1
            self.spent.add(used)

    @property
    def exhausted(self) -> bool:
        with self._lock:
            return self._exhausted(self._in_flight)

    def _exhausted(self, in_flight: int) -> bool:
        if self.max_calls is not None and self.spent.calls + in_flight >= self.max_calls:
            return True
        return self.max_cost is not None and self.spent.cost_usd >= self.max_cost

    def describe(self) -> str:
        """For the prompt (agents use a budget well only when they see what is left)."""
        parts = []
        if self.max_calls is not None:
            parts.append(f"{max(0, self.max_calls - self.spent.calls)} of {self.max_calls} model calls")
        if self.max_cost is not None:
            parts.append(f"${max(0.0, self.max_cost - self.spent.cost_usd):.2f} of ${self.max_cost:.2f}")
        return " and ".join(parts) + " left" if parts else ""
