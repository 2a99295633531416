"""Where an expression sits relative to loops: the walk the hoisting patterns share.

`steps(node)` climbs from an expression to its def and says, for each step,
whether it enters a loop's per-iteration part ("loop") and whether reaching the
child is conditional on something (a guard expression, or PROTECT for try/with
bodies, whose exception handling would be lost if code moved out of them).
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import libcst as cst

from ._common import SCOPES, ancestors, name_uses
from ._uses import has_suspension, in_nested_scope, is_binding, is_pure_read, may_leave_early

COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
PROTECT = "protect"


class Step(NamedTuple):
    child: cst.CSTNode
    parent: cst.CSTNode
    loop: bool                        # child is evaluated once per iteration of parent
    guard: tuple | str | None         # None: unconditional; tuple of guard exprs; or PROTECT


def _comp_guards(comp_for: cst.CompFor) -> tuple:
    """Everything an element waits on: every `if` and every inner iterable."""
    guards: list = []
    node = comp_for
    while node is not None:
        guards.extend(i.test for i in node.ifs)
        node = node.inner_for_in
        if node is not None:
            guards.append(node.iter)
    return tuple(guards)


def _classify(child, p, par, in_iteration: bool) -> tuple[bool, object]:
    if isinstance(p, cst.For):
        if child is p.body or child is p.target:
            return True, None
        return False, (() if child is p.orelse else None)
    if isinstance(p, cst.While):
        if child is p.test:
            return True, None
        if child is p.body:
            return True, (p.test,)      # a false test may have been guarding the body
        return False, (() if child is p.orelse else None)
    if isinstance(p, COMPREHENSIONS):
        if child is p.for_in:
            return in_iteration, None
        guards = _comp_guards(p.for_in)
        return True, (guards or None)
    if isinstance(p, cst.CompFor):
        if child is p.inner_for_in:
            return False, tuple(i.test for i in p.ifs) + (child.iter,)
        ifs = [i for i in p.ifs]
        if child in ifs and ifs.index(child) > 0:
            return False, tuple(i.test for i in ifs[: ifs.index(child)])
        return False, None
    if isinstance(p, (cst.If, cst.IfExp)):
        return False, ((p.test,) if child is not p.test else None)
    if isinstance(p, cst.BooleanOperation):
        return False, ((p.left,) if child is p.right else None)
    if isinstance(p, cst.Comparison) and isinstance(child, cst.ComparisonTarget):
        i = list(p.comparisons).index(child)
        return False, ((p.left, *[c.comparator for c in p.comparisons[:i]]) if i else None)
    if isinstance(p, (cst.Try, cst.TryStar)):
        return False, (PROTECT if child is p.body else ())
    if isinstance(p, cst.With) and child is p.body:
        return False, PROTECT          # a context manager may swallow exceptions
    if isinstance(p, cst.Match) and child is not p.subject:
        return False, (p.subject,)
    if isinstance(p, (cst.IndentedBlock, cst.Module)):
        before = p.body[: list(p.body).index(child)]
        return False, (() if any(may_leave_early(s, par) for s in before) else None)
    return False, None


def _enters_iteration(child, p, par) -> bool:
    """Inside a comprehension clause, anything but the outermost iterable repeats."""
    if not isinstance(p, cst.CompFor):
        return False
    return not (child is p.iter and not isinstance(par.get(p), cst.CompFor))


def steps(node: cst.CSTNode, par: dict) -> Iterator[Step]:
    """Steps from `node` up to (not across) the nearest def/lambda/class."""
    in_iteration = False   # inside a comprehension's per-iteration part
    for child, p in ancestors(node, par):
        if isinstance(p, SCOPES):
            return
        in_iteration = in_iteration or _enters_iteration(child, p, par)
        loop, guard = _classify(child, p, par, in_iteration)
        if isinstance(p, COMPREHENSIONS):
            in_iteration = False
        yield Step(child, p, loop, guard)


def in_region(node: cst.CSTNode, loop: cst.CSTNode, par: dict) -> bool:
    """Is `node` inside the part of `loop` that runs on every iteration?"""
    in_iteration = False
    for child, p in ancestors(node, par):
        in_iteration = in_iteration or _enters_iteration(child, p, par)
        if p is loop:
            return _classify(child, p, par, in_iteration)[0]
    return False


def invariant(loop: cst.CSTNode, names: set[str], func: cst.FunctionDef, par: dict) -> bool:
    """No use of these names inside the loop's repeated part can rebind or mutate them.

    Also refuses loops that suspend (yield/await): other code may run mid-loop.
    """
    if has_suspension(loop, par):
        return False
    # Code after the loop (and after any loop around it) cannot affect its iterations.
    outermost = loop
    for _, p in ancestors(loop, par):
        if p is func:
            break
        if isinstance(p, (cst.For, cst.While) + COMPREHENSIONS):
            outermost = p
    horizon = par.span[outermost][1]
    for name in names:
        for use in name_uses(func, name, par):
            if in_region(use, loop, par):
                if not is_pure_read(use, par):
                    return False
            elif par.span[use][0] < horizon and not _contained(use, par):
                return False            # e.g. `add = items.append` lets the loop mutate items
            elif in_nested_scope(use, func, par) and not is_pure_read(use, par):
                return False            # a closure called from the loop could mutate it
    return True


def _contained(use: cst.Name, par: dict) -> bool:
    """Outside the loop a name may be rebound or mutated, but must not leak an alias."""
    if is_pure_read(use, par) or is_binding(use, par):
        return True
    node = use
    while isinstance(par.get(node), (cst.Attribute, cst.Subscript)) and par[node].value is node:
        node = par[node]
    p = par.get(node)
    if node is use:
        return False
    if isinstance(p, cst.Call) and p.func is node:
        return True                     # a direct method call: no reference kept by us
    return isinstance(p, (cst.AssignTarget, cst.AugAssign, cst.Del)) and p.target is node


def dotted(node: cst.CSTNode) -> str | None:
    """'a.b.c' for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _chains(node: cst.CSTNode):
    """The maximal name chains read in an expression (`self.a.b`, not also `self`)."""
    chain = dotted(node)
    if chain is not None:
        yield chain
        return
    for child in node.children:
        yield from _chains(child)


def mentions(exprs, chains: set[str]) -> bool:
    """Does any guard expression test one of these values, a part of one, or a container of one?

    `if self.items:` guards `len(self.items)` and `if self is not None:` does too,
    but `if self.other:` does not.
    """
    for expr in exprs:
        for found in _chains(expr):
            for chain in chains:
                if found == chain or chain.startswith(found + ".") or found.startswith(chain + "."):
                    return True
    return False
