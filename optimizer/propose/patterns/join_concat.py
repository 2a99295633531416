"""join-string-concat: `s += piece` in a loop becomes list appends and one "".join."""
from __future__ import annotations

import libcst as cst

from ._common import (SCOPES, Inserter, Pattern, Rewrite, ancestors, assign_line, fresh, name_uses,
                      params, parents, parse_function, walk)
from ._uses import assignment_of, is_binding

DESCRIPTION = (
    "A local string built with `s += piece` inside a loop (initialised to \"\" and "
    "not read inside the loop) collects the pieces in a list and joins them once "
    "after the loop. Repeated concatenation can copy the growing string every "
    "time (quadratic); join is linear. CPython often makes `s += x` in-place when "
    "nothing else references s, so the gain is measured, not assumed. Not when s "
    "is read inside the loop, the loop can return, or a try/with around the "
    "`+=` could observe a TypeError from a non-str piece."
)


def _empty_str(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.SimpleString) and value.evaluated_value == ""


def _block_stmt(node, block, func, par):
    """The statement of `block` holding `node`, or None if a scope or try/with is in between."""
    for child, p in ancestors(node, par):
        if p is block:
            return child
        if isinstance(p, SCOPES + (cst.Try, cst.TryStar, cst.With)) or p is func:
            return None
    return None


def _inside(node, loop, par) -> bool:
    return any(p is loop for _, p in ancestors(node, par))


def _plan(func, name: str, par: dict):
    """(init statement, loop, aug-assign nodes) when every precondition holds."""
    uses = name_uses(func, name, par)
    inits = [u for u in uses if assignment_of(u, par) is not None]
    if len(inits) != 1 or not _empty_str(assignment_of(inits[0], par).value):
        return None
    init_line = par[assignment_of(inits[0], par)]
    block = par.get(init_line)
    if not isinstance(init_line, cst.SimpleStatementLine):
        return None
    if not isinstance(block, cst.IndentedBlock):
        return None
    augs, loops = [], set()
    for use in uses:
        aug = par.get(use)
        if (isinstance(aug, cst.AugAssign) and aug.target is use
                and isinstance(aug.operator, cst.AddAssign)):
            loops.add(_block_stmt(aug, block, func, par))
            augs.append(aug)
        elif use is not inits[0] and is_binding(use, par):
            return None
    if len(loops) != 1 or not augs:
        return None
    loop = loops.pop()
    # Reads are fine outside L (S is "" before it and joined after it), never inside.
    targets = {aug.target for aug in augs}
    if any(use not in targets and _inside(use, loop, par) for use in uses):
        return None
    body = list(block.body)
    if (not isinstance(loop, (cst.For, cst.While)) or body.index(loop) < body.index(init_line)
            or any(isinstance(n, (cst.Return, cst.Yield, cst.Await)) for n in walk(loop, par))):
        return None
    # A try/with around the loop could observe S after an exception mid-loop.
    if any(isinstance(p, (cst.Try, cst.TryStar, cst.With)) for _, p in ancestors(loop, par)):
        return None
    return init_line, loop, augs


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per local S, else it is left alone):

    - S is not a parameter; its only plain binding is `S = ""` (a str literal),
      a statement directly in some block B (function body or a nested block);
    - every other use of S is the target of `S += piece`, and all of those lie in
      one for/while statement L of the same block B, after the initialisation,
      not inside a nested def/lambda -- so S is never read inside L and is
      exactly "" when L starts;
    - L contains no return, yield or await, and no try/with encloses L or a `+=`
      (a non-str piece now raises TypeError at the join after the loop instead
      of at the `+=`, and a handler could otherwise see S half-built or catch
      that TypeError at a different point).
    Produces `_S_parts = []` before L, `_S_parts.append(piece)` for each `+=`,
    and `S = "".join(_S_parts)` right after L.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    taken = set(par.names)
    before, after, replace = {}, {}, {}
    done = set(params(func))
    for node in list(par):
        if not isinstance(node, cst.Name) or node.value in done or assignment_of(node, par) is None:
            continue
        done.add(node.value)
        plan = _plan(func, node.value, par)
        if plan is None:
            continue
        _init, loop, augs = plan
        parts = fresh(f"_{node.value}_parts", taken)
        before.setdefault(loop, []).append(assign_line(parts, cst.List([])))
        join = cst.Call(cst.Attribute(cst.SimpleString('""'), cst.Name("join")),
                        [cst.Arg(cst.Name(parts))])
        after.setdefault(loop, []).append(assign_line(node.value, join))
        append = cst.Attribute(cst.Name(parts), cst.Name("append"))
        for aug in augs:
            replace[aug] = lambda a, append=append: cst.Expr(
                cst.Call(append, [cst.Arg(a.value)]), semicolon=a.semicolon)
    if not replace:
        return None
    return module.visit(Inserter(replace=replace, before=before, after=after)).code, ()


PATTERN = Pattern(id="join-string-concat", description=DESCRIPTION, rewrite=rewrite)
