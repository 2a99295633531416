"""dict-set-loop-to-comprehension: `d = {}` + a loop of `d[K] = V`, or `s = set()` + a loop
of `s.add(E)`, becomes a dict or set comprehension (issue #18: loops real code has)."""
from __future__ import annotations

import libcst as cst

from ._common import Pattern, Rewrite, walk
from .append_comprehension import (accumulator_private, comments_outside, fixpoint, guarded_statement,
                                   loop_variables_private, merge_pass, mentions, merged_line, not_rebound,
                                   parenthesized, risky, target_names)

DESCRIPTION = (
    "`d = {}` immediately followed by `for x in xs: d[K] = V` becomes "
    "`d = {K: V for x in xs}`, and `s = set()` followed by `for x in xs: s.add(E)` "
    "becomes `s = {E for x in xs}` (either body may be a single `if C:` around the "
    "statement, which becomes the comprehension's `if`). The comprehension stores "
    "with one MAP_ADD/SET_ADD bytecode instead of a subscript store or a method "
    "call per item; later duplicate keys win and insertion order is kept, as in the "
    "loop. Not applied when the loop does anything else, has an else clause, reads "
    "the accumulator while building it, sits in a try/with, or when the key K calls "
    "anything (a comprehension evaluates the key before the value, the loop the "
    "value first); the loop variable must not be used after the loop."
)


def _store(stmt: cst.CSTNode, out: str) -> tuple[str, cst.BaseExpression | None, cst.BaseExpression] | None:
    """("dict", K, V) for `out[K] = V`, ("set", None, E) for `out.add(E)`, else None."""
    if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0].target
        if (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value == out
                and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index)
                and target.slice[0].slice.star is None):
            return "dict", target.slice[0].slice.value, stmt.value
        return None
    if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
        call, f = stmt.value, stmt.value.func
        if (isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == out
                and f.attr.value == "add" and len(call.args) == 1 and call.args[0].keyword is None
                and call.args[0].star == ""):
            return "set", None, call.args[0].value
    return None


def _empty(value: cst.BaseExpression, func, par) -> str | None:
    """'dict' for `{}`, 'set' for `set()` (the builtin, not rebound here), else None."""
    if isinstance(value, cst.Dict) and not value.elements:
        return "dict"
    if (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "set"
            and not value.args and not_rebound(func, "set", par)):
        return "set"
    return None


def _plan(func, par, line, assign, out, loop):
    kind = _empty(assign.value, func, par)
    names = target_names(loop.target)
    if kind is None or names is None or out in names:
        return None
    guarded = guarded_statement(loop.body)
    if guarded is None:
        return None
    cond, stmt = guarded
    found = _store(stmt, out)
    if found is None or found[0] != kind:
        return None
    _, key, value = found
    xs = loop.iter
    parts = [p for p in (key, value, xs, cond) if p is not None]
    if any(mentions(p, [out], par) for p in parts) or mentions(xs, names, par):
        return None
    if any(risky(p, par) for p in parts):
        return None
    if key is not None and any(isinstance(n, cst.Call) for n in walk(key, par)):
        return None   # the key's call would now run before the value's
    if not (accumulator_private(func, out, par) and loop_variables_private(func, loop, names, par)):
        return None
    ifs = [cst.CompIf(test=parenthesized(cond))] if cond is not None else []
    for_in = cst.CompFor(target=loop.target, iter=parenthesized(xs), ifs=ifs)
    if kind == "dict":
        comp = cst.DictComp(key=parenthesized(key, element=True), value=parenthesized(value, element=True),
                            for_in=for_in)
    else:
        comp = cst.SetComp(elt=parenthesized(value, element=True), for_in=for_in)
    comments = comments_outside(loop, [loop.target, *parts], par)
    return merged_line(line, assign, comp, comments)


def _once(source: str) -> str | None:
    return merge_pass(source, _plan)


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per loop, else that loop is left alone), as append-loop-to-comprehension's:

    - `OUT = {}` or `OUT = set()` (the builtin `set`, not rebound in the function;
      one plain target, alone on its line) immediately precedes `for TARGET in XS:`
      in the same block, in the function's own scope, with no try/with around them;
    - the for is synchronous, has no else clause, and its body is exactly one
      statement, `OUT[K] = V` for a dict (one plain subscript) or `OUT.add(E)` for
      a set, or an `if C:` without elif/else whose body is exactly that statement;
    - K contains no call (a dict comprehension evaluates K before V; the loop's
      assignment evaluates V first);
    - TARGET is a plain name or a flat tuple of plain names, and OUT is none of them;
    - OUT is not mentioned in K, V, E, C or XS, not read by a nested scope, not
      declared global/nonlocal; XS does not mention the target names;
    - K, V, E, C and XS contain no yield/await, no walrus and no `super`;
    - the target names are private to the loop (`loop_variables_private`);
    - the function does not call locals()/vars()/eval/exec/globals.
    """
    return fixpoint(source, _once)


PATTERN = Pattern(id="dict-set-loop-to-comprehension", description=DESCRIPTION, rewrite=rewrite)
