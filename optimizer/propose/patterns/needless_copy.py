"""needless-copy: copies that the call around them makes anyway, and comprehensions that
only copy (flake8-comprehensions' C411/C413/C414/C416 as speed rewrites, issue #18)."""
from __future__ import annotations

import libcst as cst

from ._calls import builtin, call, first_positional_only, identity_iterable, only_arg, positional, rewrite_nodes, with_first_arg
from ._common import Pattern, Rewrite

DESCRIPTION = (
    "Drops a copy that changes nothing: `sorted(list(xs))`, `set(tuple(xs))`, "
    "`sum(list(xs))`, `\"\".join(list(xs))` pass xs directly (sorted, set, frozenset, "
    "list, tuple, sum, min, max and str.join read their whole argument before returning, "
    "so a list()/tuple() copy of it first is pure cost); `list(sorted(xs))` becomes "
    "`sorted(xs)` and `list([...])` the list comprehension itself (both already make a new "
    "list); comprehensions that only copy, `[x for x in xs]` and `{x for x in xs}`, become "
    "`list(xs)` and `set(xs)`, `{k: v for k, v in d.items()}` (or over `zip(...)`) becomes "
    "`dict(...)`, and `sum(x for x in xs)` (likewise sorted, set, list, tuple, min, max, "
    "any, all, str.join) iterates xs itself. The builtins' C loops replace a Python-level "
    "loop or a second pass. What differs: `tuple(xs)` of a tuple, and `frozenset` of a "
    "frozenset, return the same object rather than an equal copy; min/max compare as they "
    "iterate, so an element's side effects interleave differently. Only the builtins "
    "themselves (not rebound in the function), with plain positional arguments."
)

# Calls that consume their (first) iterable completely before returning.
_CONSUMERS = {"sorted", "set", "frozenset", "list", "tuple", "sum", "min", "max"}
_COPIES = {"list", "tuple"}
_NAMES = _CONSUMERS | {"any", "all", "dict", "zip"}


def _first_iterable(node: cst.Call, names: frozenset) -> bool:
    """Does this call take its first argument as the one iterable it reads (or join's)?"""
    name = builtin(node, names)
    args = positional(node)
    if not args or args[0] is not node.args[0]:
        return False
    if name in ("set", "frozenset", "list", "tuple"):
        return len(node.args) == 1
    if name in ("sorted", "min", "max"):
        return first_positional_only(node)     # min(a, b) compares a and b themselves
    if name == "sum":
        return len(args) in (1, 2)
    return _is_join(node) and len(node.args) == 1


def _is_join(node: cst.Call) -> bool:
    f = node.func
    return (isinstance(f, cst.Attribute) and f.attr.value == "join"
            and isinstance(f.value, (cst.SimpleString, cst.ConcatenatedString)))


def _dict_items(comp: cst.CSTNode, names: frozenset) -> cst.BaseExpression | None:
    """PAIRS for `{k: v for k, v in PAIRS}` where PAIRS is `m.items()` or `zip(a, b)`."""
    if not isinstance(comp, cst.DictComp):
        return None
    for_in = comp.for_in
    if for_in.inner_for_in is not None or for_in.ifs or for_in.asynchronous is not None:
        return None
    target = for_in.target
    if not (isinstance(target, cst.Tuple) and len(target.elements) == 2
            and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in target.elements)):
        return None
    k, v = (e.value.value for e in target.elements)
    if k == v or not (isinstance(comp.key, cst.Name) and comp.key.value == k
                      and isinstance(comp.value, cst.Name) and comp.value.value == v):
        return None
    pairs = for_in.iter
    if not isinstance(pairs, cst.Call):
        return None
    is_items = (isinstance(pairs.func, cst.Attribute) and pairs.func.attr.value == "items" and not pairs.args)
    # zip of exactly two: dict() of a mapping-like zip result is not a concern, a 3-way zip raises in both
    is_zip = builtin(pairs, names) == "zip" and len(pairs.args) == 2 and all(
        a.keyword is None and a.star == "" for a in pairs.args)
    return pairs if is_items or is_zip else None


def _rule(node: cst.CSTNode, names: frozenset) -> cst.BaseExpression | None:
    if isinstance(node, (cst.ListComp, cst.SetComp)):
        kind = "list" if isinstance(node, cst.ListComp) else "set"
        xs = identity_iterable(node)
        return call(kind, xs) if xs is not None and kind in names else None   # [x for x in xs]
    if isinstance(node, cst.DictComp):
        pairs = _dict_items(node, names)
        return call("dict", pairs) if pairs is not None and "dict" in names else None
    if not isinstance(node, cst.Call):
        return None
    name = builtin(node, names)
    if _first_iterable(node, names):
        inner = node.args[0].value
        if builtin(inner, names) in _COPIES and only_arg(inner) is not None:
            return with_first_arg(node, only_arg(inner))          # sorted(list(xs)) -> sorted(xs)
        xs = identity_iterable(inner) if isinstance(inner, cst.GeneratorExp) else None
        if xs is not None:
            return with_first_arg(node, xs)                      # sum(x for x in xs) -> sum(xs)
    if name in ("any", "all") and isinstance(only_arg(node), cst.GeneratorExp):
        xs = identity_iterable(only_arg(node))
        if xs is not None:
            return with_first_arg(node, xs)
    if name == "list" and only_arg(node) is not None:
        inner = only_arg(node)
        if builtin(inner, names) == "sorted" or isinstance(inner, cst.ListComp):
            return inner                                         # list(sorted(xs)) -> sorted(xs)
    return None


def rewrite(source: str) -> Rewrite | None:
    """Preconditions: the builtins involved are not rebound in the function; arguments are
    plain positional ones (sorted/min/max may have keywords such as key=, sum a start);
    min/max take exactly one positional argument (so they iterate it); comprehensions are
    synchronous, with one `for`, no `if`, no walrus/yield/await/super/next, and copy their
    items unchanged (`[x for x in xs]`); a dict comprehension `{k: v for k, v in P}` only
    over `m.items()` (no arguments) or a two-argument `zip(a, b)`, with k and v distinct.
    """
    return rewrite_nodes(source, _rule, _NAMES)


PATTERN = Pattern(id="needless-copy", description=DESCRIPTION, rewrite=rewrite)
