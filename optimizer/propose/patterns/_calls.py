"""Plumbing for the patterns that rewrite one expression at a time around builtins (needless
copies, comprehension forms, any/all, reductions, isinstance chains): a bottom-up pass over
every expression, so nested forms compose (`sorted(list(x for x in xs))` -> `sorted(xs)`)."""
from __future__ import annotations

from typing import Callable

import libcst as cst

from ._common import Rewrite, parents, parse_function, walk
from .append_comprehension import not_rebound, risky

COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)

# rule(node, builtins) -> replacement or None, for any node; `builtins` holds the builtin
# names the function does not rebind, so `list(...)` there is the builtin (module level:
# not checked).
Rule = Callable[[cst.CSTNode, frozenset], "cst.BaseExpression | None"]


def builtin(call: cst.CSTNode, names: frozenset) -> str | None:
    """The builtin this is a call of (a plain name the function does not rebind), else None."""
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in names:
        return call.func.value
    return None


def only_arg(call: cst.Call) -> cst.BaseExpression | None:
    """The value of a call's single plain positional argument, else None."""
    if len(call.args) == 1 and call.args[0].keyword is None and call.args[0].star == "":
        return call.args[0].value
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and a.star == ""]


def synchronous(comp: cst.CSTNode) -> bool:
    """No `async for` in any of the comprehension's for clauses."""
    comp_for = comp.for_in
    while comp_for is not None:
        if comp_for.asynchronous is not None:
            return False
        comp_for = comp_for.inner_for_in
    return True


def plain_comprehension(node: cst.CSTNode) -> bool:
    """A synchronous list/set/generator comprehension with nothing a new scope would change
    (no yield/await, walrus or super), and no `next` (a StopIteration escaping it ends a
    generator expression quietly but propagates out of a list comprehension)."""
    if not isinstance(node, (*COMPREHENSIONS, cst.DictComp)) or not synchronous(node):
        return False
    if risky(node, None):
        return False
    return not any(isinstance(n, cst.Name) and n.value == "next" for n in walk(node))


def identity_iterable(node: cst.CSTNode) -> cst.BaseExpression | None:
    """XS for `[x for x in XS]`, `{x for x in XS}` or `(x for x in XS)`: one for, no if."""
    if not isinstance(node, COMPREHENSIONS) or not plain_comprehension(node):
        return None
    comp_for = node.for_in
    if comp_for.inner_for_in is not None or comp_for.ifs:
        return None
    if isinstance(comp_for.target, cst.Name) and isinstance(node.elt, cst.Name) \
            and comp_for.target.value == node.elt.value:
        return comp_for.iter
    return None


def first_positional_only(call: cst.Call) -> bool:
    """Exactly one positional argument, first (min(xs, key=f) iterates xs; min(a, b) does not)."""
    args = positional(call)
    return len(args) == 1 and args[0] is call.args[0]


def call(name: str, value: cst.BaseExpression) -> cst.Call:
    return cst.Call(cst.Name(name), [cst.Arg(value)])


def keep_parens(old: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
    """`new` wearing `old`'s own parentheses, if it had any."""
    if getattr(old, "lpar", None) and hasattr(new, "lpar"):
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)
    return new


def with_first_arg(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    first = call.args[0]
    return call.with_changes(args=[first.with_changes(value=value), *call.args[1:]])


class _Nodes(cst.CSTTransformer):
    def __init__(self, rule: Rule, names: frozenset) -> None:
        super().__init__()
        self.rule, self.names = rule, names

    def on_leave(self, original_node, updated_node):
        if not isinstance(updated_node, cst.BaseExpression):
            return updated_node
        new = self.rule(updated_node, self.names)
        return updated_node if new is None else keep_parens(updated_node, new)


def rewrite_nodes(source: str, rule: Rule, names: set[str]) -> Rewrite | None:
    """Apply `rule` to every expression in the definition, innermost first (so nested forms
    compose in one pass); None if nothing changed.
    `names` are the builtins the rule may rely on: those the function rebinds are withheld."""
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    usable = frozenset(n for n in names if not_rebound(func, n, par))
    new = module.visit(_Nodes(rule, usable)).code
    return (new, ()) if new != source else None
