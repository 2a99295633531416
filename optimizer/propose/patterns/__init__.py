"""The offline proposer: a catalog of safe-when-applicable rewrites, no model needed.

Each pattern (one module each) takes a dedented `def` and returns the rewritten
text plus the module-level imports it needs, or None when its preconditions do
not hold. Preconditions are conservative but not proofs; the verification stage
downstream is what finally accepts or rejects a candidate.
"""
from __future__ import annotations

import textwrap

from ...model import Candidate, Target
from ..base import ProposalContext
from ._common import Pattern
from .deque_queue import PATTERN as _DEQUE
from .hoist_call import PATTERN as _HOIST
from .join_concat import PATTERN as _JOIN
from .list_as_set import PATTERN as _LIST_AS_SET
from .membership_set import PATTERN as _MEMBERSHIP
from .sorted_index import PATTERN as _SORTED_INDEX

# Order matters for chaining: list-as-set first so a list it turns into a set is
# not also wrapped by membership-list-to-set; hoisting last, over the result.
CATALOG: list[Pattern] = [_LIST_AS_SET, _DEQUE, _MEMBERSHIP, _SORTED_INDEX, _JOIN, _HOIST]

__all__ = ["CATALOG", "Pattern", "PatternProposer", "applicable"]


def _try(pattern: Pattern, source: str) -> tuple[str, tuple[str, ...]] | None:
    """A pattern's rewrite, or None if it does not apply, changes nothing, or crashes."""
    try:
        result = pattern.rewrite(source)
    except Exception:               # a buggy pattern must not take the proposer down
        return None
    if result is None or result[0] == source:
        return None
    return result


def applicable(source: str) -> list[str]:
    """Ids of the catalog patterns whose preconditions hold for this definition."""
    source = textwrap.dedent(source)
    return [p.id for p in CATALOG if _try(p, source) is not None]


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for g in groups for i in g))


class PatternProposer:
    name = "patterns"
    rounds = False     # mechanical: the same rewrites every time; only round 1 asks it

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        if context.mode != "optimize":
            return []
        source = textwrap.dedent(target.source)
        singles: list[Candidate] = []
        for pattern in CATALOG:
            result = _try(pattern, source)
            if result is not None:
                singles.append(Candidate(target, f"pattern:{pattern.id}", result[0], result[1],
                                         note=pattern.description.split(". ")[0] + "."))
        out = list(singles)
        if len(singles) > 1:
            chained = self._chain(target, source, [c.origin.split(":", 1)[1] for c in singles])
            if chained is not None and all(chained.key != c.key for c in singles):
                out.insert(0, chained)      # the combination is usually the biggest win
        return out[: max(k, 0)]

    def _chain(self, target: Target, source: str, ids: list[str]) -> Candidate | None:
        current, imports, used = source, (), []
        for pattern in CATALOG:
            if pattern.id not in ids:
                continue
            result = _try(pattern, current)     # an earlier rewrite may have disabled it
            if result is not None:
                current, imports = result[0], _merge(imports, result[1])
                used.append(pattern.id)
        if len(used) < 2 or current == source:
            return None
        note = "Combined rewrites: " + ", ".join(used) + "."
        return Candidate(target, "pattern:" + "+".join(used), current, imports, note=note)
