"""sorted-index-to-min-max: `sorted(x)[0]` -> `min(x)`, `sorted(x)[-1]` -> `max(x)`."""
from __future__ import annotations

import libcst as cst

from ._common import Inserter, Pattern, Rewrite, parents, parse_function, walk
from ._uses import call_name, is_binding, only_called, plain_args

DESCRIPTION = (
    "`sorted(x)[0]` becomes `min(x)` and `sorted(x)[-1]` becomes `max(x)`: one "
    "linear pass instead of an O(n log n) sort plus a throwaway list. Only for a "
    "bare `sorted(x)` (no key=, no reverse=). Differences the verification stage "
    "must judge: an empty input raises ValueError instead of IndexError, and among "
    "equal-but-distinct maxima (1 and 1.0, objects equal by key) sorted()[-1] "
    "returns the last one while max() returns the first."
)


def _index(sub: cst.Subscript) -> int | None:
    """0 or -1 for `[0]` / `[-1]`, else None."""
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    value = sub.slice[0].slice.value
    if isinstance(value, cst.Integer) and value.evaluated_value == 0:
        return 0
    if (isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
            and isinstance(value.expression, cst.Integer)
            and value.expression.evaluated_value == 1):
        return -1
    return None


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per occurrence, else that occurrence is left alone):

    - the subscript is `sorted(<one positional argument>)[0]` or `[-1]`, with no
      keyword arguments and no star-args;
    - it is read, not assigned or deleted (`sorted(x)[0] = v` is pointless anyway,
      but we do not touch it);
    - the name `sorted` is used in the function only as a callee (not rebound
      locally); the names `min`/`max` are not rebound locally either.
    Module-level shadowing of these builtins is not checked. The empty-input and
    tie-breaking differences in the description are not prevented here; the
    verification stage decides.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if not all(only_called(func, builtin, par) for builtin in ("sorted", "min", "max")):
        return None
    replace = {}
    for node in walk(func, par):
        if not isinstance(node, cst.Subscript):
            continue
        idx = _index(node)
        call = node.value
        if idx is None or call_name(call) != "sorted":
            continue
        if len(call.args) != 1 or not plain_args(call):
            continue
        if is_binding(node, par):       # `sorted(x)[0] = v` or a tuple target holding it
            continue
        replace[node] = _to_min if idx == 0 else _to_max
    if not replace:
        return None
    return module.visit(Inserter(replace=replace)).code, ()


def _swap(sub: cst.Subscript, name: str) -> cst.Call:
    """`sorted(x)[i]` (already updated inside) -> `name(x)`, keeping the argument's text."""
    call = sub.value
    arg = call.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(func=cst.Name(name), args=[arg], lpar=sub.lpar, rpar=sub.rpar)


def _to_min(sub):
    return _swap(sub, "min")


def _to_max(sub):
    return _swap(sub, "max")


PATTERN = Pattern(id="sorted-index-to-min-max", description=DESCRIPTION, rewrite=rewrite)
