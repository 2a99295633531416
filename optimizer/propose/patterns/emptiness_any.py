"""emptiness-to-any: a list comprehension built only to see whether it is empty becomes any()."""
from __future__ import annotations

import libcst as cst

from ._common import Inserter, Pattern, Rewrite, Tree, parents, parse_function, walk
from ._calls import synchronous
from ._uses import call_name, plain_args
from .append_comprehension import comments_outside, not_rebound, risky

DESCRIPTION = (
    "A list comprehension whose only use is an emptiness test -- `len([E for x in xs if C]) "
    "> 0` (also `!= 0`, `>= 1`), `bool([...])`, `[...] != []`, or the list itself as (part "
    "of) an `if` condition -- becomes `any(True for x in xs if C)`; `len([...]) == 0` "
    "(also `< 1`, `<= 0`) and `[...] == []` become `not any(...)`. any() stops at the "
    "first item that passes every clause instead of building the whole list (and "
    "allocates no list), so the gain grows with how early a match comes. All for/if "
    "clauses are kept. The element E is no longer evaluated, so it must be a plain "
    "name, constant, attribute/subscript chain or tuple of those (no calls): E's "
    "truthiness does not matter, which is why the generator yields True rather than E. "
    "What differs: the conditions and iterables are no longer evaluated for the items "
    "after the first match, so their side effects and exceptions on those items "
    "(and an AttributeError/IndexError E would have raised) are gone."
)

_ANY = {"gt": 0, "ne": 0, "ge": 1}           # len(L) > 0, != 0, >= 1   -> any
_NOT_ANY = {"eq": 0, "lt": 1, "le": 0}       # len(L) == 0, < 1, <= 0   -> not any
_OPS = {cst.GreaterThan: "gt", cst.NotEqual: "ne", cst.GreaterThanEqual: "ge",
        cst.Equal: "eq", cst.LessThan: "lt", cst.LessThanEqual: "le"}
_CONSTANTS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)


def _droppable(expr: cst.BaseExpression) -> bool:
    """An element whose evaluation has no effect we keep: no calls, operators or f-strings."""
    if isinstance(expr, (cst.Name, *_CONSTANTS)):
        return True
    if isinstance(expr, cst.Attribute):
        return _droppable(expr.value)
    if isinstance(expr, cst.Subscript):
        if not _droppable(expr.value):
            return False
        for element in expr.slice:
            part = element.slice
            if isinstance(part, cst.Index):
                if part.star is not None or not _droppable(part.value):
                    return False
            elif not all(p is None or _droppable(p) for p in (part.lower, part.upper, part.step)):
                return False
        return True
    if isinstance(expr, cst.Tuple):
        return all(isinstance(e, cst.Element) and _droppable(e.value) for e in expr.elements)
    return False


def _usable(comp: cst.CSTNode, par: Tree) -> bool:
    if not isinstance(comp, cst.ListComp) or not _droppable(comp.elt) or not synchronous(comp):
        return False
    return not risky(comp, par)


def _empty_list(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.List) and not node.elements


def _single_arg(call: cst.CSTNode, name: str) -> cst.BaseExpression | None:
    if call_name(call) == name and len(call.args) == 1 and plain_args(call):
        return call.args[0].value
    return None


def _in_if_test(node: cst.CSTNode, par: Tree) -> bool:
    """The value of `node` only decides an `if`/`elif`: through `not`, `and`, `or` at most."""
    while True:
        p = par.get(node)
        if isinstance(p, cst.UnaryOperation) and isinstance(p.operator, cst.Not):
            node = p
        elif isinstance(p, cst.BooleanOperation):
            node = p
        else:
            return isinstance(p, cst.If) and p.test is node


def _classify(node: cst.CSTNode, par: Tree):
    """(comprehension, negate) when `node` is one of the emptiness tests, else None."""
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
        target = node.comparisons[0]
        kind = _OPS.get(type(target.operator))
        comp = _single_arg(node.left, "len")
        if comp is not None and isinstance(target.comparator, cst.Integer) and not target.comparator.lpar:
            value = target.comparator.evaluated_value
            if _ANY.get(kind, -1) == value:
                return comp, False
            if _NOT_ANY.get(kind, -1) == value:
                return comp, True
        if kind in ("ne", "eq") and _empty_list(target.comparator) and isinstance(node.left, cst.ListComp):
            return node.left, kind == "eq"
        return None
    comp = _single_arg(node, "bool")
    if comp is not None:
        return comp, False
    if isinstance(node, cst.ListComp) and _in_if_test(node, par):
        return node, False
    return None


def _build(negate: bool, pick):
    """A replacement function of the updated test node (inner rewrites survive)."""
    def build(updated):
        comp = pick(updated)
        gen = cst.GeneratorExp(elt=cst.Name("True"), for_in=comp.for_in, lpar=[], rpar=[])
        new: cst.BaseExpression = cst.Call(cst.Name("any"), [cst.Arg(gen)])
        if negate:
            new = cst.UnaryOperation(cst.Not(), new)
        return new.with_changes(lpar=updated.lpar, rpar=updated.rpar)
    return build


def _pick_comp(updated):
    if isinstance(updated, cst.ListComp):
        return updated
    if isinstance(updated, cst.Comparison):
        left = updated.left
        return left if isinstance(left, cst.ListComp) else left.args[0].value
    return updated.args[0].value                     # bool(L)


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per test, else that test is left alone):

    - the test is `len(L) > 0` / `!= 0` / `>= 1` / `== 0` / `< 1` / `<= 0` (len on the
      left, an integer literal on the right, unchained), `bool(L)`, `L != []`,
      `L == []`, or L itself as the test of an `if`/`elif` (possibly under
      `not`/`and`/`or`), where L is a list comprehension `[E for ... if ...]`;
    - E is droppable: a name, a constant, an attribute/subscript chain of those,
      or a tuple of those -- no calls, operators or f-strings;
    - no clause is `async for`; L contains no yield/await, no walrus (its binding
      would stop at the first match) and no `super`;
    - `len`, `bool` and `any` are not rebound in the function (no assignment, parameter, import, ...);
    - no comment sits in the replaced text outside the comprehension's clauses.
    Module-level shadowing of these builtins is not checked.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if not all(not_rebound(func, b, par) for b in ("len", "bool", "any")):
        return None
    replace = {}
    for node in walk(func, par):
        found = _classify(node, par)
        if found is None:
            continue
        comp, negate = found
        if not _usable(comp, par) or comments_outside(node, [comp.for_in], par):
            continue
        replace[node] = _build(negate, _pick_comp)
    if not replace:
        return None
    return module.visit(Inserter(replace=replace)).code, ()


PATTERN = Pattern(id="emptiness-to-any", description=DESCRIPTION, rewrite=rewrite)
