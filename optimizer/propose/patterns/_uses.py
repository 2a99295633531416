"""How a name or expression is used: read, bound, mutated, tested, called.

Deliberately syntactic and conservative: a context not recognised here counts
as "not a pure read", and the callers then skip the rewrite.
"""
from __future__ import annotations

import libcst as cst

from ._common import SCOPES, Tree, ancestors, name_uses, walk


def in_nested_scope(node: cst.CSTNode, func: cst.FunctionDef, par: dict) -> bool:
    """Is `node` inside a def/lambda/class nested in `func` (so it runs at another time)?"""
    for _, p in ancestors(node, par):
        if p is func:
            return False
        if isinstance(p, SCOPES):
            return True
    return False


def assignment_of(name: cst.Name, par: dict) -> cst.Assign | None:
    """The `name = value` statement this Name is the single target of, if any."""
    target = par.get(name)
    assign = par.get(target)
    if isinstance(target, cst.AssignTarget) and isinstance(assign, cst.Assign):
        if len(assign.targets) == 1 and target.target is name:
            return assign
    return None


def call_name(call: cst.CSTNode) -> str | None:
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Name):
        return call.func.value
    return None


def only_called(func: cst.FunctionDef, name: str, par: dict) -> bool:
    """The builtin `name` is not rebound in the function: every use of it is a call."""
    for use in name_uses(func, name, par):
        holder = par.get(use)
        if not (isinstance(holder, cst.Call) and holder.func is use):
            return False
    return True


def plain_args(call: cst.Call) -> bool:
    return all(a.keyword is None and a.star == "" for a in call.args)


# Builtins that read their argument without mutating it or keeping a reference
# that could later mutate it.
PURE_READERS = {
    "len", "sorted", "set", "frozenset", "tuple", "list", "min", "max", "sum", "any",
    "all", "str", "repr", "bool", "abs", "int", "float", "enumerate", "zip", "reversed",
    "isinstance", "hash",
}

# Methods that only read the builtin containers/strings that have them. A user
# class could define a mutating `get`; we accept that (verification catches it).
READ_METHODS = {"items", "keys", "values", "split", "splitlines", "strip", "lower", "upper",
                "copy", "get", "count", "index", "startswith", "endswith"}

_TARGET_HOLDERS = (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor,
                   cst.NamedExpr, cst.Del)


def is_binding(use: cst.CSTNode, par: dict) -> bool:
    """Is this Name (or x[i] / x.a) a target being bound, assigned or deleted, not a read?"""
    node = use
    while isinstance(par.get(node), (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        node = par[node]                # unpack destructuring: (a, *b) = ...
    p = par.get(node)
    if isinstance(p, _TARGET_HOLDERS):
        return getattr(p, "target", None) is node
    return isinstance(p, (cst.AsName, cst.Param, cst.NameItem, cst.ImportAlias, cst.FunctionDef,
                          cst.ClassDef, cst.MatchAs, cst.MatchStar))


def is_pure_read(node: cst.CSTNode, par: dict) -> bool:
    """True when this use of a value cannot mutate it, rebind it, or let it escape."""
    p = par.get(node)
    if isinstance(p, cst.Attribute) and p.value is node:
        call = par.get(p)
        if isinstance(call, cst.Call) and call.func is p and p.attr.value in READ_METHODS:
            return True                 # d.get(k), s.split(): reads, results are new objects
        return is_pure_read(p, par)     # x.attr may be the very object we care about: follow it
    if isinstance(p, cst.Subscript) and p.value is node:
        # An element (or a slice copy) may go anywhere; only writes through it count.
        # Not tracked: an element aliased here and mutated later (e = xs[0]; e.append(1)).
        if is_binding(p, par):
            return False
        q = par.get(p)
        if isinstance(q, (cst.Attribute, cst.Subscript)) and q.value is p:
            return is_pure_read(p, par)
        return not (isinstance(q, cst.Call) and q.func is p)
    if isinstance(p, cst.Arg):
        call = par.get(p)
        return (call_name(call) in PURE_READERS and p.keyword is None and p.star == ""
                and p.value is node)
    if isinstance(p, (cst.Comparison, cst.ComparisonTarget, cst.BinaryOperation,
                      cst.UnaryOperation, cst.FormattedStringExpression, cst.Index)):
        return True
    if isinstance(p, (cst.If, cst.While, cst.IfExp)) and p.test is node:
        return True
    if isinstance(p, cst.BooleanOperation):
        # `a or x` evaluates to x itself, so only truthiness uses are harmless.
        return is_truth_test(p, par)
    if isinstance(p, (cst.For, cst.CompFor)) and p.iter is node:
        return True
    return False


def is_truth_test(node: cst.CSTNode, par: dict) -> bool:
    """The value of `node` is only used for its truthiness."""
    p = par.get(node)
    if isinstance(p, (cst.If, cst.While, cst.IfExp, cst.CompIf, cst.Assert)) and p.test is node:
        return True
    if isinstance(p, cst.UnaryOperation) and isinstance(p.operator, cst.Not):
        return True
    if isinstance(p, cst.BooleanOperation):
        return is_truth_test(p, par)
    return False


def has_suspension(node: cst.CSTNode, tree: Tree | None = None) -> bool:
    """yield/await/async for/async with: other code may run (and mutate things) meanwhile."""
    for n in walk(node, tree):
        if isinstance(n, (cst.Yield, cst.Await)):
            return True
        if isinstance(n, (cst.For, cst.With, cst.CompFor)) and n.asynchronous is not None:
            return True
    return False


def may_leave_early(stmt: cst.CSTNode, tree: Tree | None = None) -> bool:
    """A statement that might skip what follows it (return/raise/break/continue inside)."""
    exits = (cst.Return, cst.Raise, cst.Break, cst.Continue)
    return any(isinstance(n, exits) for n in walk(stmt, tree))
