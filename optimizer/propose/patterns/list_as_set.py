"""list-as-set: a list used only for `in` tests and `.append` becomes a set."""
from __future__ import annotations

import libcst as cst

from ._common import Inserter, Pattern, Rewrite, ancestors, name_uses, params, parents, parse_function
from ._uses import assignment_of

DESCRIPTION = (
    "A local list that is only ever appended to and tested with `in`/`not in` is "
    "turned into a set (`[]` -> `set()`, `.append` -> `.add`). Membership on a list "
    "is a linear scan, on a set a hash lookup, so a dedup loop goes from O(n^2) to "
    "O(n). Not applicable when the list is read any other way (returned, iterated, "
    "indexed, len'd, passed on), and unsafe when the elements are unhashable or "
    "have an __eq__ inconsistent with __hash__."
)


def _is_empty_list(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.List):
        return not value.elements
    return (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
            and value.func.value == "list" and not value.args)


def _membership_use(use: cst.Name, par: dict) -> bool:
    """`x in L` / `x not in L`, unchained, with L on the right."""
    target = par.get(use)
    comp = par.get(target)
    return (isinstance(target, cst.ComparisonTarget) and target.comparator is use
            and isinstance(target.operator, (cst.In, cst.NotIn))
            and isinstance(comp, cst.Comparison) and len(comp.comparisons) == 1)


def _append_attr(use: cst.Name, par: dict) -> cst.Name | None:
    """For `L.append(v)` (one plain positional argument), the `append` Name node."""
    attr = par.get(use)
    call = par.get(attr)
    if (isinstance(attr, cst.Attribute) and attr.value is use and attr.attr.value == "append"
            and isinstance(call, cst.Call) and call.func is attr and len(call.args) == 1
            and call.args[0].keyword is None and call.args[0].star == ""):
        return attr.attr
    return None


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (all must hold for some local L, else None):

    - L is not a parameter and is bound exactly once, by a plain `L = []` or
      `L = list()` (single target; no global/nonlocal, del, augmented or tuple
      assignment, for-target, walrus, nested def rebinding -- any of those is a
      second use we do not recognise);
    - every other use is either the right operand of an unchained `x in L` /
      `x not in L`, or `L.append(v)` with one positional argument;
    - there is at least one membership test (else there is nothing to gain);
    - no use of L is inside an `except` clause: there a list is the fallback for the
      items a set cannot hold (more-itertools' duplicates_everseen keeps unhashable
      keys in a list when its set raises TypeError).
    Both `list.append` and `set.add` return None, so using the call's value is fine.
    Assumes the builtins `list`/`set` are not shadowed in the module.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    param_names = params(func)
    replace: dict[cst.CSTNode, cst.CSTNode] = {}
    done: set[str] = set()
    for node in list(_candidate_bindings(func, par)):
        name = node.value
        if name in done or name in param_names:
            continue
        done.add(name)
        edits = _plan(func, node, par)
        if edits:
            replace.update(edits)
    if not replace:
        return None
    new = module.visit(Inserter(replace=replace))
    return new.code, ()


def _candidate_bindings(func: cst.FunctionDef, par: dict):
    for node in par:
        if isinstance(node, cst.Name):
            assign = assignment_of(node, par)
            if assign is not None and _is_empty_list(assign.value):
                yield node


def _plan(func: cst.FunctionDef, binding: cst.Name, par: dict) -> dict | None:
    assign = assignment_of(binding, par)
    edits: dict[cst.CSTNode, cst.CSTNode] = {
        assign.value: cst.Call(cst.Name("set"))
    }
    tests = 0
    for use in name_uses(func, binding.value, par):
        if use is binding:
            continue
        if any(isinstance(p, (cst.ExceptHandler, cst.ExceptStarHandler)) for _, p in ancestors(use, par)):
            return None     # the list is the fallback for what a set cannot hold (unhashable items)
        if _membership_use(use, par):
            tests += 1
            continue
        attr = _append_attr(use, par)
        if attr is None:
            return None
        edits[attr] = attr.with_changes(value="add")
    return edits if tests else None


PATTERN = Pattern(id="list-as-set", description=DESCRIPTION, rewrite=rewrite)
