"""dict-keys-membership: `k in d.keys()` -> `k in d`, `for k in d.keys():` -> `for k in d:`."""
from __future__ import annotations

import libcst as cst

from ._common import Inserter, Pattern, Rewrite, parents, parse_function, walk
from ._uses import is_binding
from ._loops import dotted

DESCRIPTION = (
    "`k in d.keys()` / `k not in d.keys()` become `k in d` / `k not in d`, and "
    "`for k in d.keys():` becomes `for k in d:`. A dict's `in` and iteration already "
    "work on its keys; going through `.keys()` costs a method lookup, a call and a "
    "view object every time, so the membership test itself gets about 1.2-1.5x "
    "faster. Only for `.keys()` without arguments on a plain name or attribute chain, "
    "and for loops only when the loop neither stores into, deletes from, calls "
    "methods on nor rebinds that object. What may differ: a non-dict object whose "
    "`keys()` does not agree with its `__contains__`/`__iter__` (a custom mapping, "
    "or something that is not a mapping at all) behaves differently; the "
    "verification stage decides."
)

# Methods that leave a dict unchanged; calling them on d inside the loop is harmless.
_READS = {"get", "keys", "values", "items", "copy"}


def _receiver(call: cst.CSTNode) -> cst.BaseExpression | None:
    """For `X.keys()` with X a name/attribute chain and no arguments: X."""
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
        return None
    if call.func.attr.value != "keys" or call.args:
        return None
    receiver = call.func.value
    chain = dotted(receiver)
    if chain is None or chain in {"True", "False", "None"}:
        return None
    return receiver


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _loop_touches(loop: cst.For, chain: str, par) -> bool:
    """Could the loop's body/else store into, delete from, rebind, or call a method on
    the object `chain` names (or on anything it hangs off, like `self` for `self.d`)?"""
    for part in (loop.body, loop.orelse):
        if part is None:
            continue
        for node in walk(part, par):
            if isinstance(node, (cst.Global, cst.Nonlocal)):
                return True
            if isinstance(node, (cst.Name, cst.Attribute)) and is_binding(node, par):
                target = dotted(node)
                if target is None or _overlap(target, chain):
                    return True
            elif isinstance(node, cst.Subscript) and is_binding(node, par):
                target = dotted(node.value)
                if target is None or _overlap(target, chain):
                    return True
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                target = dotted(node.func.value)
                if target is None:
                    continue            # f(x).m(): not the object itself by name
                if _overlap(target, chain) and not (target == chain
                                                     and node.func.attr.value in _READS):
                    return True
    return False


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per `.keys()` call, else it is left alone):

    - the call is `X.keys()` with no arguments, X a plain name or attribute chain;
    - it is the right operand of an unchained `in` / `not in`, or the iterable of
      a (non-async) `for` loop;
    - for a loop: neither its body nor its else clause assigns, augments or deletes
      X, an item of X (`X[k] = v`, `del X[k]`), an attribute on the way to X (for
      `self.d`: `self.d = ..`, `self = ..`), calls any method on X other than
      get/keys/values/items/copy, calls any method on what X hangs off (`self.m()`),
      or has a global/nonlocal statement.
    Whether X is a real dict is not known; see the description.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    replace: dict = {}
    for node in walk(func, par):
        receiver = _receiver(node)
        if receiver is None:
            continue
        holder = par.get(node)
        if isinstance(holder, cst.ComparisonTarget) and holder.comparator is node:
            comp = par.get(holder)
            if not (isinstance(holder.operator, (cst.In, cst.NotIn))
                    and isinstance(comp, cst.Comparison) and len(comp.comparisons) == 1):
                continue
        elif isinstance(holder, cst.For) and holder.iter is node:
            if holder.asynchronous is not None or _loop_touches(holder, dotted(receiver), par):
                continue
        else:
            continue
        replace[node] = _unwrap

    if not replace:
        return None
    return module.visit(Inserter(replace=replace)).code, ()


def _unwrap(call: cst.Call) -> cst.BaseExpression:
    """`X.keys()` -> `X`, keeping parentheses around the call (`(d.keys())` -> `(d)`)."""
    receiver = call.func.value
    if call.lpar:
        receiver = receiver.with_changes(lpar=[*call.lpar, *receiver.lpar],
                                         rpar=[*receiver.rpar, *call.rpar])
    return receiver


PATTERN = Pattern(id="dict-keys-membership", description=DESCRIPTION, rewrite=rewrite)
