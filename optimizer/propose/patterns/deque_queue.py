"""deque-queue: a list used as a FIFO queue (`.pop(0)`) becomes a collections.deque."""
from __future__ import annotations

import libcst as cst

from ._common import Inserter, Pattern, Rewrite, name_uses, params, parents, parse_function
from ._uses import assignment_of, call_name, is_binding, is_truth_test, plain_args

DESCRIPTION = (
    "A local list used as a queue -- filled with append/extend and drained with "
    "`.pop(0)` -- becomes `collections.deque`, with `.pop(0)` -> `.popleft()`. "
    "`list.pop(0)` shifts every remaining element (O(n)); `deque.popleft()` is O(1), "
    "so BFS-style loops go from quadratic to linear. Not applicable when the list "
    "is returned, aliased, sliced, indexed away from the ends, or passed to "
    "anything but len(), because a deque is not a list."
)

_ALLOWED_METHODS = {"append", "extend"}


def _is_list_init(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.List):
        return True
    return call_name(value) == "list" and len(value.args) <= 1 and plain_args(value)


def _is_int(node: cst.CSTNode, n: int) -> bool:
    if n < 0:
        return (isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
                and _is_int(node.expression, -n))
    return isinstance(node, cst.Integer) and node.evaluated_value == n


def _classify(use: cst.Name, par: dict) -> str | None:
    """'pop0', 'ok', or None when the use is outside what a deque supports the same way."""
    p = par.get(use)
    if isinstance(p, cst.Attribute) and p.value is use:
        call = par.get(p)
        if not (isinstance(call, cst.Call) and call.func is p and plain_args(call)):
            return None
        method, nargs = p.attr.value, len(call.args)
        if method == "pop" and nargs == 1 and _is_int(call.args[0].value, 0):
            return "pop0"
        if (method == "pop" and nargs == 0) or (method in _ALLOWED_METHODS and nargs == 1):
            return "ok"
        return None
    if isinstance(p, cst.Arg):
        call = par.get(p)
        ok = call_name(call) == "len" and len(call.args) == 1 and plain_args(call)
        return "ok" if ok else None
    if isinstance(p, cst.Subscript) and p.value is use:
        # Only end reads: deque indexing is O(1) at the ends, and it has no slicing.
        if len(p.slice) != 1 or not isinstance(p.slice[0].slice, cst.Index):
            return None
        index = p.slice[0].slice.value
        if not (_is_int(index, 0) or _is_int(index, -1)):
            return None
        # Q[0] = v would work on a deque too, but we keep to reads.
        return None if is_binding(p, par) else "ok"
    if is_truth_test(use, par):
        return "ok"
    return None


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (all must hold for some local Q, else None):

    - Q is not a parameter and is bound exactly once, by `Q = [...]` or
      `Q = list(<one iterable>)` / `Q = list()` (single target);
    - every other use is `Q.pop(0)`, `Q.pop()`, `Q.append(v)`, `Q.extend(it)`,
      `len(Q)`, a read of `Q[0]` / `Q[-1]` (not assigned, not deleted), or a pure
      truth test (`while Q:`, `if Q and ...:`, `not Q`);
    - at least one `Q.pop(0)` (else a list is as good);
    - the name `collections` is not used inside the function (we add
      `import collections` at module level and refer to it).
    Exceptions keep their type: popping an empty deque raises IndexError too.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if "collections" in par.names:
        return None
    param_names = params(func)
    replace: dict = {}
    seen: set[str] = set()
    for node in list(par):
        if not isinstance(node, cst.Name) or node.value in seen or node.value in param_names:
            continue
        assign = assignment_of(node, par)
        if assign is None or not _is_list_init(assign.value):
            continue
        seen.add(node.value)
        edits = _plan(func, node, assign, par)
        if edits:
            replace.update(edits)
    if not replace:
        return None
    return module.visit(Inserter(replace=replace)).code, ("import collections",)


def _plan(func, binding: cst.Name, assign: cst.Assign, par: dict) -> dict | None:
    deque = cst.Attribute(cst.Name("collections"), cst.Name("deque"))
    value = assign.value
    # Replacements are functions of the updated node so edits nested inside survive.
    if isinstance(value, cst.List):
        new_value = lambda v: cst.Call(deque, [cst.Arg(v)] if v.elements else [])  # noqa: E731
    else:
        new_value = lambda v: v.with_changes(func=deque)  # noqa: E731
    edits: dict = {value: new_value}
    pops = 0
    for use in name_uses(func, binding.value, par):
        if use is binding:
            continue
        kind = _classify(use, par)
        if kind is None:
            return None
        if kind == "pop0":
            pops += 1
            call = par[par[use]]
            edits[call] = lambda c: c.with_changes(
                func=c.func.with_changes(attr=cst.Name("popleft")), args=())
    return edits if pops else None


PATTERN = Pattern(id="deque-queue", description=DESCRIPTION, rewrite=rewrite)
