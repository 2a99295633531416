"""any-all-early-exit: `any([...])` / `all([...])` over a list comprehension become
generator expressions, which stop at the first decisive item (issue #18)."""
from __future__ import annotations

import libcst as cst

from ._calls import builtin, only_arg, plain_comprehension, rewrite_nodes, with_first_arg
from ._common import Pattern, Rewrite

DESCRIPTION = (
    "`any([C for x in xs])` and `all([C for x in xs])` become `any(C for x in xs)` and "
    "`all(C for x in xs)`: the list comprehension evaluates C for every item and allocates "
    "the list before any() looks at it; the generator stops at the first true (any) or "
    "false (all) item. The gain grows with how early that item comes; when none does, the "
    "generator's per-item resume can make it slower, which the measurement shows. What "
    "differs: C is no longer evaluated for the items after the decisive one, so its side "
    "effects and exceptions on those items are gone (that is the speedup)."
)


def _rule(node: cst.CSTNode, names: frozenset) -> cst.BaseExpression | None:
    if builtin(node, names) not in ("any", "all"):
        return None
    comp = only_arg(node)
    if not isinstance(comp, cst.ListComp) or not plain_comprehension(comp):
        return None
    return with_first_arg(node, cst.GeneratorExp(elt=comp.elt, for_in=comp.for_in, lpar=[], rpar=[]))


def rewrite(source: str) -> Rewrite | None:
    """Preconditions: `any`/`all` are not rebound in the function; the call's one plain
    positional argument is a synchronous list comprehension without walrus, yield, await,
    super or `next`."""
    return rewrite_nodes(source, _rule, {"any", "all"})


PATTERN = Pattern(id="any-all-early-exit", description=DESCRIPTION, rewrite=rewrite)
