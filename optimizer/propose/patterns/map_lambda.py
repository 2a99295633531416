"""map-lambda-to-comprehension: `list(map(lambda x: B, xs))` -> `[B for x in xs]`, and kin."""
from __future__ import annotations

import libcst as cst

from ._common import Inserter, Pattern, Rewrite, Tree, parents, parse_function, walk
from ._uses import call_name, plain_args
from .append_comprehension import comments_outside, mentions, not_rebound, parenthesized, risky

DESCRIPTION = (
    "`list(map(lambda x: B, xs))` becomes `[B for x in xs]`, `set(map(lambda x: B, xs))` "
    "becomes `{B for x in xs}`, and `list(filter(lambda x: C, xs))` / `set(filter(...))` "
    "become `[x for x in xs if C]` / `{x for x in xs if C}`. The comprehension evaluates "
    "B or C inline instead of making a Python-level function call per item (typically "
    "~1.5x). Only single-parameter lambdas (no default, no *args/**kwargs) over one "
    "iterable. What differs: a StopIteration escaping the lambda silently ended map/filter "
    "(and so the list) but propagates out of a comprehension, so bodies mentioning "
    "`next` are refused; walrus and zero-argument super() bind differently and are "
    "refused too, as are lambdas and generator expressions inside B that use x (each "
    "call had its own x, while the comprehension's x ends at the last item)."
)

_BUILDERS = {"list": cst.ListComp, "set": cst.SetComp}
_DYNAMIC = {"next", "locals", "vars", "eval", "exec"}
# Nested scopes that run later: they would see the comprehension's last P, not their call's.
_LAZY = (cst.Lambda, cst.GeneratorExp, cst.FunctionDef, cst.ClassDef)


def _lambda_param(lam: cst.Lambda) -> str | None:
    """The name of a lambda's single plain positional parameter, else None."""
    p = lam.params
    if p.posonly_params or p.kwonly_params or p.star_kwarg is not None:
        return None
    if not isinstance(p.star_arg, cst.MaybeSentinel) or len(p.params) != 1:
        return None
    param = p.params[0]
    if param.default is not None or param.star not in ("", cst.MaybeSentinel.DEFAULT):
        return None
    return param.name.value


def _match(node: cst.CSTNode, par: Tree):
    """(builder, inner call name, lambda, xs) for `list|set(map|filter(lambda x: ..., xs))`."""
    outer = call_name(node)
    if outer not in _BUILDERS or len(node.args) != 1 or not plain_args(node):
        return None
    inner = node.args[0].value
    kind = call_name(inner)
    if kind not in ("map", "filter") or len(inner.args) != 2 or not plain_args(inner):
        return None
    lam, xs = inner.args[0].value, inner.args[1].value
    if not isinstance(lam, cst.Lambda):
        return None
    name = _lambda_param(lam)
    if name is None or mentions(xs, [name], par):
        return None
    if risky(inner, par) or mentions(lam.body, _DYNAMIC, par):
        return None
    if any(isinstance(n, _LAZY) and mentions(n, [name], par) for n in walk(lam.body, par)):
        return None                     # each call had its own P; the comprehension shares one
    if comments_outside(node, [lam.body, xs], par):
        return None                     # a comment between the calls' parentheses would be lost
    return _BUILDERS[outer], kind, name


def _build(builder, kind: str, name: str):
    def build(updated: cst.Call):
        inner = updated.args[0].value
        lam, xs = inner.args[0].value, inner.args[1].value
        body = lam.body
        target = cst.Name(name)
        if kind == "map":
            elt, ifs = parenthesized(body, element=True), []
        else:
            elt, ifs = cst.Name(name), [cst.CompIf(test=parenthesized(body))]
        comp_for = cst.CompFor(target=target, iter=parenthesized(xs), ifs=ifs)
        return builder(elt=elt, for_in=comp_for, lpar=updated.lpar, rpar=updated.rpar)
    return build


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per call, else that call is left alone):

    - the expression is `list(F(lambda P: B, XS))` or `set(F(lambda P: B, XS))` with
      F `map` or `filter`, every call with exactly these plain positional arguments;
    - the lambda has exactly one plain positional parameter P: no default, no
      `*args`/`**kwargs`, no keyword-only or positional-only markers;
    - P is not mentioned in XS (the comprehension's variable would shadow it);
    - B and XS contain no yield/await, no walrus, no `super`; B does not mention
      `next` (StopIteration would end map() quietly but escapes a comprehension)
      nor locals/vars/eval/exec;
    - no lambda or generator expression inside B uses P (a closure made per call
      would otherwise see the comprehension's one P, late-bound to the last item);
    - `list`, `set`, `map` and `filter` are not rebound anywhere in the function;
    - no comment sits inside the calls outside B and XS (it would be lost).
    Module-level shadowing of these builtins is not checked.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if not all(not_rebound(func, b, par) for b in ("list", "set", "map", "filter")):
        return None
    replace = {}
    for node in walk(func, par):
        found = _match(node, par)
        if found is not None:
            replace[node] = _build(*found)
    if not replace:
        return None
    return module.visit(Inserter(replace=replace)).code, ()


PATTERN = Pattern(id="map-lambda-to-comprehension", description=DESCRIPTION, rewrite=rewrite)
