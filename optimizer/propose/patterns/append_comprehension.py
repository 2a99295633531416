"""append-loop-to-comprehension: `out = []` + a loop of `out.append(E)` becomes a list comprehension.

Also home of the helpers the other accumulator-loop patterns share (count_with_counter):
finding `NAME = <init>` immediately followed by a `for`, checking that the loop
variable is private to the loop, and carrying the loop's comments over.
"""
from __future__ import annotations

from typing import Iterator

import libcst as cst

from ._common import SCOPES, Pattern, Rewrite, Tree, ancestors, name_uses, parents, parse_function, walk
from ._uses import has_suspension, in_nested_scope, is_binding

DESCRIPTION = (
    "`out = []` immediately followed by `for x in xs: out.append(E)` (or a body "
    "of just `if C: out.append(E)`) becomes `out = [E for x in xs]` (`... if C]`). "
    "The comprehension appends with one LIST_APPEND bytecode instead of looking up "
    "and calling the bound method `out.append` on every item (typically 1.3-2x for "
    "the loop). Not applied when the loop does anything else, has an else clause, "
    "reads `out` while it is being built, or sits in a try/with (a handler would "
    "see `out` unbound instead of half-filled); the loop variable must not be used "
    "after the loop, because the comprehension keeps it to itself. Names read in E "
    "or C become closure cells of the comprehension (on Python < 3.12), which can "
    "make other uses of them a little slower: the gain is measured, not assumed."
)

# Calls that could observe or change the function's local variables by name.
DYNAMIC = {"locals", "vars", "eval", "exec", "globals"}
_NEEDS_PARENS = (cst.Tuple, cst.IfExp, cst.Lambda, cst.NamedExpr, cst.GeneratorExp, cst.Yield)


# ------------------------------------------------------------------ shared helpers
def loop_sites(func: cst.FunctionDef, par: Tree) -> Iterator[tuple]:
    """(init line, its Assign, accumulator name, for statement) for every block-level
    `NAME = value` line (one statement, one plain target) directly followed by a
    synchronous `for` without an else clause, both in `func`'s own scope and not
    inside any try/with (whose handlers could see the half-built accumulator)."""
    for block in walk(func, par):
        if not isinstance(block, cst.IndentedBlock):
            continue
        if not _own_unprotected(block, func, par):
            continue
        body = list(block.body)
        for line, loop in zip(body, body[1:]):
            if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
                    and isinstance(loop, cst.For)):
                continue
            assign = line.body[0]
            if (not isinstance(assign, cst.Assign) or len(assign.targets) != 1
                    or not isinstance(assign.targets[0].target, cst.Name)):
                continue
            if loop.orelse is not None or loop.asynchronous is not None:
                continue
            yield line, assign, assign.targets[0].target.value, loop


def _own_unprotected(block, func, par) -> bool:
    for _, p in ancestors(block, par):
        if p is func:
            return True
        if isinstance(p, SCOPES + (cst.Try, cst.TryStar, cst.With)):
            return False
    return False


def target_names(target: cst.BaseAssignTargetExpression) -> list[str] | None:
    """The names a loop target binds: a plain name or a flat tuple of plain names."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple) and target.elements:
        if all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in target.elements):
            return [e.value.value for e in target.elements]
    return None


def single_statement(body: cst.BaseSuite) -> cst.CSTNode | None:
    """The one small statement (or one compound statement) a suite consists of, else None."""
    if isinstance(body, cst.SimpleStatementSuite):
        return body.body[0] if len(body.body) == 1 else None
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    stmt = body.body[0]
    if isinstance(stmt, cst.SimpleStatementLine):
        return stmt.body[0] if len(stmt.body) == 1 else None
    return stmt


def guarded_statement(body: cst.BaseSuite):
    """(C, S) for a loop body that is one statement S, or one `if C:` (no elif/else) around
    one statement S (C is None without the if); None otherwise."""
    stmt = single_statement(body)
    cond = None
    if isinstance(stmt, cst.If):
        if stmt.orelse is not None:
            return None
        cond = stmt.test
        stmt = single_statement(stmt.body)
    return None if stmt is None else (cond, stmt)


def dynamic_scope(func: cst.FunctionDef, par: Tree) -> bool:
    """Does the function use locals()/vars()/eval/exec/globals, which see locals by name?"""
    return any(name_uses(func, name, par) for name in DYNAMIC)


def not_rebound(func: cst.FunctionDef, name: str, par: Tree) -> bool:
    """No use of `name` in the function (nested scopes included) binds it, so a builtin
    of that name is the builtin here (module-level shadowing is not checked)."""
    return not any(is_binding(u, par) or isinstance(par.get(u), cst.NameItem)
                   for u in name_uses(func, name, par))


def mentions(node: cst.CSTNode, names, par: Tree) -> bool:
    names = set(names)
    return any(isinstance(n, cst.Name) and n.value in names for n in walk(node, par))


def loop_variables_private(func: cst.FunctionDef, loop: cst.For, names: list[str], par: Tree) -> bool:
    """Once the loop no longer binds `names` in the function, nothing can tell.

    Every use of a name outside the loop must be in the function's own scope
    (not a closure, not global/nonlocal), textually before the loop and before
    any loop enclosing it (so it never runs after it), and at least one of those
    uses must bind the name (so it stays a local: earlier reads behave the same).
    """
    start, end = par.span[loop]
    horizon = start
    for _, p in ancestors(loop, par):
        if p is func:
            break
        if isinstance(p, (cst.For, cst.While)):
            horizon = par.span[p][0]
    for name in names:
        outside = [u for u in name_uses(func, name, par)
                   if not start <= par.span[u][0] < end and not comprehension_local(u, par)]
        for use in outside:
            if (par.span[use][0] >= horizon or in_nested_scope(use, func, par)
                    or isinstance(par.get(use), cst.NameItem)):
                return False
        if outside and not any(is_binding(u, par) for u in outside):
            return False
    return True


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def comprehension_local(use: cst.Name, par: Tree) -> bool:
    """Is this Name a variable of a comprehension around it (that scope's, not the function's)?

    Everything in a comprehension is in its scope except the outermost iterable."""
    at = par.span[use][0]
    for _, p in ancestors(use, par):
        if isinstance(p, SCOPES):
            return False
        if isinstance(p, _COMPREHENSIONS):
            s, e = par.span[p.for_in.iter]
            if not s <= at < e and _comp_binds(p.for_in, use.value):
                return True
    return False


def _comp_binds(comp_for: cst.CompFor, name: str) -> bool:
    node = comp_for
    while node is not None:
        if any(isinstance(n, cst.Name) and n.value == name for n in walk(node.target)):
            return True
        node = node.inner_for_in
    return False


def accumulator_private(func: cst.FunctionDef, name: str, par: Tree) -> bool:
    """The accumulator is a plain local: no closure reads it, no global/nonlocal declares it."""
    for use in name_uses(func, name, par):
        if in_nested_scope(use, func, par) or isinstance(par.get(use), cst.NameItem):
            return False
    return True


def comments_outside(node: cst.CSTNode, keep, par: Tree) -> list[str]:
    """Comments inside `node` but not inside any of the `keep` subtrees, in source order."""
    spans = [par.span[k] for k in keep if k is not None]
    found = []
    start, end = par.span[node]
    for i in range(start, end):
        n = par.nodes[i]
        if isinstance(n, cst.Comment) and not any(s <= i < e for s, e in spans):
            found.append(n.value)
    return found


def merged_line(line: cst.SimpleStatementLine, assign: cst.Assign, value: cst.BaseExpression,
                comments: list[str]) -> cst.SimpleStatementLine:
    """`NAME = value` keeping the init line's own comments; the loop's comments go above it."""
    extra = [cst.EmptyLine(comment=cst.Comment(c)) for c in comments]
    return line.with_changes(body=[assign.with_changes(value=value)],
                             leading_lines=[*line.leading_lines, *extra])


def parenthesized(expr: cst.BaseExpression, element: bool = False) -> cst.BaseExpression:
    """`expr`, in parentheses if it could not otherwise stand as a comprehension's `in`
    iterable or `if` condition (a bare tuple, conditional expression, lambda, ...), or
    with `element`, as its element (only a bare tuple or generator expression needs them)."""
    kinds = (cst.Tuple, cst.GeneratorExp) if element else _NEEDS_PARENS
    if isinstance(expr, kinds) and not expr.lpar:
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expr


def risky(node: cst.CSTNode, par: Tree) -> bool:
    """Constructs a comprehension scope would change: yield/await, walrus, zero-arg super()."""
    if has_suspension(node, par):
        return True
    return any(isinstance(n, cst.NamedExpr) or (isinstance(n, cst.Name) and n.value == "super")
               for n in walk(node, par))


class Merge(cst.CSTTransformer):
    """Replace each init line with its merged line and drop the loop that followed it."""

    def __init__(self, plans: dict) -> None:
        super().__init__()
        self.plans = plans                              # init line -> (new line, loop)
        self.drop = {loop for _, loop in plans.values()}

    def on_leave(self, original_node, updated_node):
        if original_node in self.plans:
            return self.plans[original_node][0]
        if original_node in self.drop:
            return cst.RemovalSentinel.REMOVE
        return updated_node


def merge_loops(module: cst.Module, func: cst.FunctionDef, par: Tree, plan) -> str | None:
    """One pass: `plan(func, par, line, assign, name, loop)` gives each loop site's merged
    line (or None to leave it); the new module text, or None when no site qualified."""
    plans = {}
    for line, assign, name, loop in list(loop_sites(func, par)):
        new = plan(func, par, line, assign, name, loop)
        if new is not None:
            plans[line] = (new, loop)
    return module.visit(Merge(plans)).code if plans else None


def merge_pass(source: str, plan, refuses=None) -> str | None:
    """One pass of an accumulator-loop pattern over a definition: parse it, refuse a
    function that reads locals by name (or that `refuses(func, par)`), and merge each
    loop site `plan` qualifies (merge_loops); the new text, or None."""
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if dynamic_scope(func, par) or (refuses is not None and refuses(func, par)):
        return None
    return merge_loops(module, func, par, plan)


def fixpoint(source: str, plan_once) -> Rewrite | None:
    """Apply `plan_once` (source -> new source | None) until nothing changes.

    A loop whose variable is reused by a later loop only qualifies once that later
    loop has been rewritten, hence several passes."""
    current = source
    for _ in range(50):
        new = plan_once(current)
        if new is None or new == current:
            break
        current = new
    return (current, ()) if current != source else None


# ------------------------------------------------------------------ this pattern
def _append_arg(stmt: cst.CSTNode, out: str) -> cst.Arg | None:
    """For `out.append(E)` (one plain positional argument), that argument."""
    if not isinstance(stmt, cst.Expr) or not isinstance(stmt.value, cst.Call):
        return None
    call = stmt.value
    f = call.func
    if not (isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == out
            and f.attr.value == "append" and len(call.args) == 1):
        return None
    arg = call.args[0]
    return arg if arg.keyword is None and arg.star == "" else None


def _plan(func, par, line, assign, out, loop):
    if not (isinstance(assign.value, cst.List) and not assign.value.elements):
        return None
    names = target_names(loop.target)
    if names is None or out in names:
        return None
    guarded = guarded_statement(loop.body)
    if guarded is None:
        return None
    cond, stmt = guarded
    arg = _append_arg(stmt, out)
    if arg is None:
        return None
    elt, xs = arg.value, loop.iter
    parts = [elt, xs] + ([cond] if cond is not None else [])
    if any(mentions(p, [out], par) for p in parts) or mentions(xs, names, par):
        return None
    if any(risky(p, par) for p in parts):
        return None
    if not (accumulator_private(func, out, par) and loop_variables_private(func, loop, names, par)):
        return None
    ifs = [cst.CompIf(test=parenthesized(cond))] if cond is not None else []
    comp = cst.ListComp(elt=parenthesized(elt, element=True),
                        for_in=cst.CompFor(target=loop.target, iter=parenthesized(xs), ifs=ifs))
    comments = comments_outside(loop, [loop.target, *parts], par)
    return merged_line(line, assign, comp, comments)


def _once(source: str) -> str | None:
    return merge_pass(source, _plan)


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per loop, else that loop is left alone):

    - `OUT = []` (an empty list display, one plain target, alone on its line)
      immediately precedes `for TARGET in XS:` in the same block, in the
      function's own scope, with no try/with around them;
    - the for is synchronous, has no else clause, and its body is exactly one
      statement: `OUT.append(E)` (one plain positional argument), or an `if C:`
      without elif/else whose body is exactly that statement (single-loop form
      only: nested loops and multi-statement bodies are left alone);
    - TARGET is a plain name or a flat tuple of plain names, and OUT is none of them;
    - OUT is not mentioned in E, C or XS, not read by a nested def/lambda/class,
      not declared global/nonlocal; XS does not mention the target names;
    - E, C and XS contain no yield/await, no walrus (it would bind differently)
      and no `super` (zero-argument super() fails inside a comprehension);
    - the target names are private to the loop: every other use of them is in
      the function's own scope, before the loop and before any loop around it,
      and includes a binding (see `loop_variables_private`);
    - the function does not call locals()/vars()/eval/exec/globals.
    Comments of the removed loop lines move above the new assignment.
    """
    return fixpoint(source, _once)


PATTERN = Pattern(id="append-loop-to-comprehension", description=DESCRIPTION, rewrite=rewrite)
