"""dict-count-to-counter: a dict counting loop becomes `dict(collections.Counter(iter(xs)))`."""
from __future__ import annotations

import libcst as cst

from ._common import Pattern, Rewrite, name_uses
from .append_comprehension import (accumulator_private, comments_outside, fixpoint, loop_variables_private,
                                   merge_pass, mentions, merged_line, not_rebound, risky, single_statement)

DESCRIPTION = (
    "`counts = {}` immediately followed by `for x in xs: counts[x] = counts.get(x, 0) + 1` "
    "(or `if x in counts: counts[x] += 1 / else: counts[x] = 1`) becomes "
    "`counts = dict(collections.Counter(iter(xs)))`. Counter's counting loop runs in C "
    "(`_count_elements`), typically 2-4x faster than the Python loop. `dict(...)` keeps the "
    "result a plain dict with keys in first-seen order and the first-seen key object among "
    "equal keys (1 then 1.0 stays 1), exactly as the loop builds it; `iter(xs)` keeps a "
    "mapping argument counted by its keys (Counter(mapping) would copy its values) and "
    "None an error (Counter(None) is empty). Keys must be hashable either way. Not "
    "applied when the key is anything but the loop variable itself, the dict starts "
    "non-empty, the loop does anything else, or the loop variable is used after the loop; "
    "inside a try/with it is refused because a handler would see the dict unbound instead "
    "of partly counted."
)

IMPORT = "import collections"


def _is_int(node: cst.CSTNode, value: int) -> bool:
    return isinstance(node, cst.Integer) and not node.lpar and node.evaluated_value == value


def _is_name(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _item(node: cst.CSTNode, counts: str, key: str) -> bool:
    """`counts[key]`, exactly."""
    if not isinstance(node, cst.Subscript) or not _is_name(node.value, counts) or len(node.slice) != 1:
        return False
    index = node.slice[0].slice
    return isinstance(index, cst.Index) and index.star is None and _is_name(index.value, key)


def _get_plus_one(node: cst.CSTNode, counts: str, key: str) -> bool:
    """`counts.get(key, 0) + 1`."""
    if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add)
            and _is_int(node.right, 1) and isinstance(node.left, cst.Call)):
        return False
    call = node.left
    f = call.func
    return (isinstance(f, cst.Attribute) and _is_name(f.value, counts) and f.attr.value == "get"
            and len(call.args) == 2 and all(a.keyword is None and a.star == "" for a in call.args)
            and _is_name(call.args[0].value, key) and _is_int(call.args[1].value, 0))


def _set_item(stmt, counts: str, key: str, value_ok) -> bool:
    """`counts[key] = VALUE` with value_ok(VALUE)."""
    return (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1
            and _item(stmt.targets[0].target, counts, key) and value_ok(stmt.value))


def _increment(stmt, counts: str, key: str) -> bool:
    """`counts[key] += 1` or `counts[key] = counts[key] + 1`."""
    if isinstance(stmt, cst.AugAssign):
        return (isinstance(stmt.operator, cst.AddAssign) and _item(stmt.target, counts, key)
                and _is_int(stmt.value, 1))
    return _set_item(stmt, counts, key, lambda v: isinstance(v, cst.BinaryOperation)
                     and isinstance(v.operator, cst.Add) and _item(v.left, counts, key)
                     and _is_int(v.right, 1))


def _counting(stmt, counts: str, key: str) -> bool:
    """Is the loop body's one statement a recognised count of `key` into `counts`?"""
    if _set_item(stmt, counts, key, lambda v: _get_plus_one(v, counts, key)):
        return True
    if not isinstance(stmt, cst.If) or not isinstance(stmt.orelse, cst.Else):
        return False
    test = stmt.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and _is_name(test.left, key) and _is_name(test.comparisons[0].comparator, counts)):
        return False
    op = test.comparisons[0].operator
    if not isinstance(op, (cst.In, cst.NotIn)):
        return False
    seen, unseen = single_statement(stmt.body), single_statement(stmt.orelse.body)
    if isinstance(op, cst.NotIn):
        seen, unseen = unseen, seen
    return _increment(seen, counts, key) and _set_item(unseen, counts, key, lambda v: _is_int(v, 1))


def _plan(func, par, line, assign, counts, loop):
    if not (isinstance(assign.value, cst.Dict) and not assign.value.elements):
        return None
    if not isinstance(loop.target, cst.Name) or loop.target.value == counts:
        return None
    key = loop.target.value
    stmt = single_statement(loop.body)
    if stmt is None or not _counting(stmt, counts, key):
        return None
    xs = loop.iter
    if mentions(xs, [counts, key], par) or risky(xs, par):
        return None
    if not (accumulator_private(func, counts, par) and loop_variables_private(func, loop, [key], par)):
        return None
    if isinstance(xs, cst.Tuple) and not xs.lpar:
        xs = xs.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    counter = cst.Call(cst.Attribute(cst.Name("collections"), cst.Name("Counter")),
                       [cst.Arg(cst.Call(cst.Name("iter"), [cst.Arg(xs)]))])
    value = cst.Call(cst.Name("dict"), [cst.Arg(counter)])
    return merged_line(line, assign, value, comments_outside(loop, [loop.iter], par))


def _refuses(func, par) -> bool:
    """`collections` is used otherwise here, or `dict`/`iter` are not the builtins."""
    return bool(name_uses(func, "collections", par)) or \
        not all(not_rebound(func, b, par) for b in ("dict", "iter"))


def _once(source: str) -> str | None:
    return merge_pass(source, _plan, _refuses)


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per loop, else that loop is left alone):

    - `COUNTS = {}` (an empty dict display, one plain target, alone on its line)
      immediately precedes `for X in XS:` in the same block, in the function's own
      scope, with no try/with around them;
    - the for is synchronous with no else clause; X is a plain name (not COUNTS);
    - the body is exactly one statement: `COUNTS[X] = COUNTS.get(X, 0) + 1`, or
      `if X in COUNTS: COUNTS[X] += 1 else: COUNTS[X] = 1` (also with `not in` and
      the branches swapped, and `COUNTS[X] = COUNTS[X] + 1`), with integer literals
      0 and 1 and the key exactly the loop variable;
    - XS mentions neither COUNTS nor X and has no yield/await/walrus;
    - COUNTS is not read by a nested def/lambda/class nor declared global/nonlocal;
    - X is private to the loop (every other use is in the function's own scope,
      before the loop and any loop around it, and includes a binding);
    - the function does not use the name `collections`, does not rebind `dict` or
      `iter`, and does not call locals()/vars()/eval/exec/globals.
    Module-level shadowing of `dict`/`iter` is not checked. Needs `import collections`.
    """
    result = fixpoint(source, _once)
    return None if result is None else (result[0], (IMPORT,))


PATTERN = Pattern(id="dict-count-to-counter", description=DESCRIPTION, rewrite=rewrite)
