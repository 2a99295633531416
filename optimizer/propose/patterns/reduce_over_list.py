"""reduce-over-list: `"".join(genexp)`, `sum(genexp)`, `min(genexp)`, `max(genexp)` fed a
list comprehension instead (issue #18: "sum/max over generator vs list where it helps")."""
from __future__ import annotations

import libcst as cst

from ._calls import first_positional_only, builtin, plain_comprehension, rewrite_nodes, with_first_arg
from ._common import Pattern, Rewrite

DESCRIPTION = (
    "`sep.join(f(x) for x in xs)` becomes `sep.join([f(x) for x in xs])`, and "
    "`sum(...)`, `min(...)`, `max(...)` over a generator expression likewise get the list "
    "comprehension. str.join turns a generator into a list before it starts, so the list "
    "costs no memory there and saves resuming a generator frame per item; sum/min/max read "
    "every item anyway, and the comprehension is usually faster (1.1-1.5x on CPython 3.11) "
    "at the price of holding all items at once: peak memory grows with the input, which "
    "the report's memory figures show. What differs: every item is computed before the "
    "reduction starts, so when an item's computation and the reduction both raise, the "
    "item's error comes first; a StopIteration in an item is refused (`next`)."
)


def _rule(node: cst.CSTNode, names: frozenset) -> cst.BaseExpression | None:
    if not isinstance(node, cst.Call) or not node.args:
        return None
    f = node.func
    join = (isinstance(f, cst.Attribute) and f.attr.value == "join"
            and isinstance(f.value, (cst.SimpleString, cst.ConcatenatedString)) and len(node.args) == 1)
    name = builtin(node, names)
    reduction = (name == "sum" and len(node.args) <= 2) or (name in ("min", "max") and first_positional_only(node))
    if not (join or reduction):
        return None
    first = node.args[0]
    gen = first.value
    if first.keyword is not None or first.star != "" or not isinstance(gen, cst.GeneratorExp):
        return None
    if not plain_comprehension(gen):
        return None
    return with_first_arg(node, cst.ListComp(elt=gen.elt, for_in=gen.for_in))


def rewrite(source: str) -> Rewrite | None:
    """Preconditions: the call is a string literal's `.join` with one argument, `sum` with at
    most a start, or `min`/`max` with exactly one positional argument (keywords key=/default=
    allowed); the builtins are not rebound in the function; the argument is a synchronous
    generator expression without walrus, yield, await, super or `next`."""
    return rewrite_nodes(source, _rule, {"sum", "min", "max"})


PATTERN = Pattern(id="reduce-over-list", description=DESCRIPTION, rewrite=rewrite)
