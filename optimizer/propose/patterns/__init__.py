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
from .any_all_early_exit import PATTERN as _ANY_ALL
from .append_comprehension import PATTERN as _APPEND_COMPREHENSION
from .call_to_comprehension import PATTERN as _CALL_TO_COMPREHENSION
from .compare_chain import PATTERN as _COMPARE_CHAIN
from .count_with_counter import PATTERN as _COUNTER
from .deque_queue import PATTERN as _DEQUE
from .dict_set_comprehension import PATTERN as _DICT_SET
from .dict_keys_membership import PATTERN as _KEYS
from .emptiness_any import PATTERN as _ANY
from .hoist_call import PATTERN as _HOIST
from .hoist_method import PATTERN as _HOIST_METHOD
from .hoist_regex import PATTERN as _REGEX
from .join_concat import PATTERN as _JOIN
from .list_as_set import PATTERN as _LIST_AS_SET
from .map_lambda import PATTERN as _MAP_LAMBDA
from .membership_set import PATTERN as _MEMBERSHIP
from .memoize_recursion import PATTERN as _MEMOIZE
from .needless_copy import PATTERN as _NEEDLESS_COPY
from .nested_loop_join import PATTERN as _NESTED_JOIN
from .range_len_iteration import PATTERN as _RANGE_LEN
from .reduce_over_list import PATTERN as _REDUCE_OVER_LIST
from .sorted_index import PATTERN as _SORTED_INDEX

# Order matters for chaining, where each pattern works on the previous one's result:
# algorithmic rewrites first (list-as-set before membership-list-to-set, so a list it
# turns into a set is not wrapped again; the join before loops are reshaped), then the
# loop-shape rewrites, then hoisting, last, over the result (hoist-bound-method sees the
# `seen.add` and `queue.popleft` that list-as-set and deque-queue wrote). The expression
# rewrites follow the loop merges, whose comprehensions they may simplify further
# (`[x for x in xs]` -> `list(xs)`), needless copies before the comprehension forms (so
# `list(x for x in xs)` becomes `list(xs)`, not `[x for x in xs]`).
CATALOG: list[Pattern] = [
    _LIST_AS_SET, _NESTED_JOIN, _DEQUE, _MEMBERSHIP, _MEMOIZE, _SORTED_INDEX, _JOIN, _COUNTER, _ANY,
    _APPEND_COMPREHENSION, _DICT_SET, _MAP_LAMBDA, _NEEDLESS_COPY, _CALL_TO_COMPREHENSION, _ANY_ALL,
    _REDUCE_OVER_LIST, _COMPARE_CHAIN, _KEYS, _RANGE_LEN, _REGEX, _HOIST, _HOIST_METHOD,
]

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


def applicable(source: str, python_version: str | None = None) -> list[str]:
    """Ids of the catalog patterns whose preconditions hold for this definition (and, given
    a Python version, that pay on it)."""
    source = textwrap.dedent(source)
    return [p.id for p in CATALOG
            if (python_version is None or p.pays_on(python_version)) and _try(p, source) is not None]


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for g in groups for i in g))


class PatternProposer:
    name = "patterns"
    iterative = False  # mechanical: the same rewrites every time; only round 1 asks it
    trusted = True     # its rewrites are this package's own code, not a model's: they may run where
                       # no sandbox isolates files (see session.runnable_proposers)
    usage = None       # it spends nothing
    suggest_inputs = None

    def propose(self, target: Target, context: ProposalContext, k: int) -> list[Candidate]:
        if context.mode != "optimize":
            return []
        source = textwrap.dedent(target.source)
        catalog = [p for p in CATALOG if p.pays_on(context.python_version)]
        singles: list[Candidate] = []
        for pattern in catalog:
            result = _try(pattern, source)
            if result is not None:
                singles.append(Candidate(target, f"pattern:{pattern.id}", result[0], result[1],
                                         note=pattern.description))
        out = list(singles)
        if len(singles) > 1:
            chained = self._chain(target, source, [c.origin.split(":", 1)[1] for c in singles], catalog)
            if chained is not None and all(chained.key != c.key for c in singles):
                out.insert(0, chained)      # the combination is usually the biggest win
        # Every applicable pattern, whatever k (k is how many samples to ask a model for):
        # they are few, deterministic, and the promise is that all are tried.
        return out if k > 0 else []

    def _chain(self, target: Target, source: str, ids: list[str], catalog: list[Pattern]) -> Candidate | None:
        current, imports, used = source, (), []
        for pattern in catalog:
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
