"""call-to-comprehension: `list(genexp)`, `set(...)`, `dict(...)` and `tuple(genexp)` written
as the comprehension (or list) they build (flake8-comprehensions' C400-C404, issue #18)."""
from __future__ import annotations

import libcst as cst

from ._calls import builtin, call, only_arg, plain_comprehension, rewrite_nodes
from ._common import Pattern, Rewrite
from .append_comprehension import parenthesized

DESCRIPTION = (
    "`list(f(x) for x in xs)` becomes `[f(x) for x in xs]`, `set(<generator or list "
    "comprehension>)` a set comprehension, `dict((k, v) for ...)` or `dict([(k, v) for "
    "...])` a dict comprehension `{k: v for ...}`, and `tuple(f(x) for x in xs)` "
    "`tuple([f(x) for x in xs])`. A comprehension stores each item with one bytecode; "
    "feeding a builtin through a generator resumes a Python frame per item (and a dict "
    "builds a tuple per pair), typically 1.2-2x. Same items, same order, same duplicates "
    "rule (a later key wins); the key is still evaluated before the value. What differs: a "
    "StopIteration escaping the element ends a generator (as a RuntimeError since Python "
    "3.7) but propagates from a comprehension, so elements mentioning `next` are refused; "
    "tuple() of a list holds every item in memory at once (it did anyway before returning)."
)

_NAMES = {"list", "set", "dict", "tuple"}


def _pair(elt: cst.BaseExpression) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    if (isinstance(elt, cst.Tuple) and len(elt.elements) == 2
            and all(isinstance(e, cst.Element) for e in elt.elements)):
        return elt.elements[0].value, elt.elements[1].value
    return None


def _rule(node: cst.CSTNode, names: frozenset) -> cst.BaseExpression | None:
    name = builtin(node, names)
    inner = only_arg(node) if name else None
    if inner is None or not plain_comprehension(inner):
        return None
    generator = isinstance(inner, cst.GeneratorExp)
    if name == "list" and generator:
        return cst.ListComp(elt=inner.elt, for_in=inner.for_in)
    if name == "tuple" and generator:
        return call("tuple", cst.ListComp(elt=inner.elt, for_in=inner.for_in))
    if name == "set" and (generator or isinstance(inner, cst.ListComp)):
        return cst.SetComp(elt=parenthesized(inner.elt, element=True), for_in=inner.for_in)
    if name == "dict" and (generator or isinstance(inner, cst.ListComp)):
        pair = _pair(inner.elt)
        if pair is not None:
            key, value = pair
            return cst.DictComp(key=parenthesized(key, element=True), value=parenthesized(value, element=True),
                                for_in=inner.for_in)
    return None


def rewrite(source: str) -> Rewrite | None:
    """Preconditions: `list`, `set`, `dict`, `tuple` are not rebound in the function; the call
    has exactly one plain positional argument, a synchronous generator expression (or, for set
    and dict, a list comprehension) with no walrus, yield, await, super or `next` in it; for
    dict, the element is a literal pair `(k, v)` (no starred item)."""
    return rewrite_nodes(source, _rule, _NAMES)


PATTERN = Pattern(id="call-to-comprehension", description=DESCRIPTION, rewrite=rewrite)
