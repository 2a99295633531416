"""hoist-invariant-call: a pure builtin call on loop-invariant arguments is computed once."""
from __future__ import annotations

import libcst as cst

from ._common import (Inserter, Pattern, Rewrite, ancestors, assign_line, fresh, parents,
                      parse_function, walk)
from ._uses import PURE_READERS, READ_METHODS, call_name, only_called
from ._loops import COMPREHENSIONS, PROTECT, dotted, invariant, mentions, steps

DESCRIPTION = (
    "A call to a pure builtin (len, sorted, set, tuple, max, ...) whose arguments "
    "do not change inside a loop is computed once before the loop into a fresh "
    "local (`_hoisted_0`). The loop then stops re-running an O(1)-to-O(n log n) "
    "computation per iteration. Not done when an argument is rebound, mutated, "
    "or handed to arbitrary code inside the loop, when the call sits in a "
    "try/with body (its exception handling would move), or, for calls that can "
    "raise on ordinary values (max/min of empty, int('x')), anywhere but the "
    "unconditional part of a plain for loop; max/min of the very sequence the "
    "loop or comprehension iterates is hoisted behind a guard, `max(xs) if xs "
    "else None`, so an empty input still raises nothing."
)

# Raise only on a wrong-typed argument (None, non-iterable), which the loop's
# guards rarely protect against: safe to evaluate early in nearly all code.
TOTAL = {"len", "sorted", "set", "frozenset", "tuple", "str", "repr", "sum", "abs"}
# Raise on ordinary values (empty sequence, malformed string): hoisted only where
# every iteration evaluates them anyway.
PARTIAL = {"max", "min", "int", "float"}
_CONSTANTS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)
# A generator expression is only a loop we may hoist out of when it is consumed
# on the spot; stored, it would run later, after things may have changed.
_CONSUMERS = {"sum", "any", "all", "min", "max", "list", "set", "tuple", "sorted", "frozenset",
              "dict"}


def _simple(expr: cst.BaseExpression, roots: set[str], calls: set[str], chains: set[str],
            allowed: set[str]) -> bool:
    """Names, constants, attribute chains on names, and allowed calls of those.

    Collects the root names (whose uses decide invariance), the called builtins,
    and the argument chains like `self.items` (which guards are checked against).
    """
    chain = dotted(expr)
    if chain is not None:
        if chain not in {"True", "False", "None"}:
            roots.add(chain.split(".")[0])
            chains.add(chain)
        return True
    if isinstance(expr, _CONSTANTS):
        return True
    name = call_name(expr)
    if name in allowed and expr.args:
        calls.add(name)
        return all(a.star == "" and _simple(a.value, roots, calls, chains, allowed)
                   for a in expr.args)
    return False


def _consumed_now(gen: cst.GeneratorExp, par: dict) -> bool:
    arg = par.get(gen)
    call = par.get(arg)
    if not (isinstance(arg, cst.Arg) and isinstance(call, cst.Call)):
        return False
    if call_name(call) in _CONSUMERS:
        return True
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "join"


def _iterable_ok(loop: cst.CSTNode, par) -> bool:
    """The for-iterable runs *after* the hoisted line: it must not be able to change its inputs."""
    if isinstance(loop, cst.For):
        iterable = loop.iter
    elif isinstance(loop, cst.While):
        return True                     # the test is part of the loop region, checked already
    else:
        iterable = loop.for_in.iter
    for node in walk(iterable, par):
        if isinstance(node, cst.Call):
            name = call_name(node)
            method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
            if name not in PURE_READERS | {"range"} and method not in READ_METHODS:
                return False
    return True


def _extreme_of(call: cst.Call) -> str | None:
    """X when the call is max(X) or min(X) of one attribute chain and nothing else."""
    if call_name(call) in ("max", "min") and len(call.args) == 1 and not call.args[0].keyword \
            and call.args[0].star == "":
        return dotted(call.args[0].value)
    return None


def _iterates(loop: cst.CSTNode, chain: str) -> bool:
    """Does the loop run once per item of `chain` (a `for` over it, or a comprehension with
    that one `for` clause and no `if`)? Then it runs zero times exactly when the chain is
    empty, which is when max/min of it would raise."""
    if isinstance(loop, cst.For):
        return dotted(loop.iter) == chain
    if isinstance(loop, COMPREHENSIONS):
        clause = loop.for_in
        return clause.inner_for_in is None and not clause.ifs and dotted(clause.iter) == chain
    return False


def _target(call: cst.Call, func, par, allowed: set[str]) -> tuple | None:
    """(anchor statement, loop, guard) for the outermost loop the call can leave, or None.
    guard: the chain whose emptiness must keep the hoisted call from running (max/min of
    the very sequence the loop iterates), else None."""
    roots: set[str] = set()
    calls: set[str] = set()
    chains: set[str] = set()
    if not _simple(call, roots, calls, chains, allowed):
        return None
    partial = bool(calls & PARTIAL)
    extreme = _extreme_of(call) if partial and calls <= {"max", "min"} else None
    best = pending = None
    for step in steps(call, par):
        p = step.parent
        if pending is not None and isinstance(p, (cst.IndentedBlock, cst.Module)):
            best, pending = (step.child, pending[0], pending[1]), None
            if partial:
                break                   # innermost loop only: outer ones add zero-iteration cases
        if step.guard == PROTECT:
            break
        if step.guard is not None and (partial or mentions(step.guard, chains)):
            break                       # evaluation is guarded by a test of its own inputs
        if not step.loop:
            continue
        guarded = extreme is not None and _iterates(p, extreme)
        if partial and not isinstance(p, cst.For) and not guarded:
            break
        if isinstance(p, cst.GeneratorExp) and not _consumed_now(p, par):
            break
        if not invariant(p, roots, func, par) or not _iterable_ok(p, par):
            break
        pending = (p, extreme if guarded else None)
    return best


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per call, else it stays where it is):

    - the call is `f(args)` with f in TOTAL or PARTIAL (below), f never rebound
      in the function, no */** args; every argument (keywords too) is a name, a
      constant, an attribute chain on a name, or again such a call;
    - it sits in a loop's repeated part: for/while body, while test, or a
      comprehension's element/condition (a generator expression only when it is
      passed straight to sum/any/all/min/max/list/set/tuple/sorted/join);
    - inside every loop it leaves, no use of any argument's root name can
      rebind or mutate it (only pure reads: operands, len()-style builtins,
      x[i]/x.a reads, for-iterables), and the loop has no yield/await;
    - no try or with body lies between the call and the loop it leaves;
    - TOTAL = len, sorted, set, frozenset, tuple, str, repr, sum, abs: these raise
      only for wrong-typed inputs, so they may leave loops even from inside a
      branch, unless that branch's test mentions one of the arguments (a guard
      like `if data is not None`) -- then they stay;
    - PARTIAL = max, min, int, float: only when evaluated unconditionally on
      every iteration (no branch, no earlier continue/break/return/raise in the
      body), and only out of the innermost loop; from a plain `for` loop, or
      from a comprehension (one `for`, no `if`) when the call is max/min of the
      very chain the loop iterates;
    - max/min of the chain the loop iterates (`[v / max(xs) for v in xs]`,
      `for v in xs: ... max(xs)`) is hoisted behind a guard,
      `_hoisted_0 = max(xs) if xs else None`: the loop runs zero times exactly
      when xs is empty, so an empty input still raises nothing (issue #18).
    Known residue for verification to catch: other PARTIAL calls out of a loop
    that runs zero times now run once (int('x') raises where the original did
    not), a sequence whose truth is not its emptiness (a numpy array raises on
    `if xs`), calls hidden in other functions that mutate an argument through
    an alias, and module-level rebinding of the builtin names.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    allowed = {n for n in TOTAL | PARTIAL if only_called(func, n, par)}   # not rebound locally
    taken = set(par.names)
    plan: dict[cst.Call, tuple] = {}
    for node in walk(func, par):          # preorder: an outer call is planned before its parts
        if isinstance(node, cst.Call) and call_name(node) in allowed:
            if any(a in plan for _, a in ancestors(node, par)):
                continue
            found = _target(node, func, par, allowed)
            if found:
                plan[node] = found
    if not plan:
        return None
    before: dict = {}
    replace: dict = {}
    made: dict[tuple, str] = {}        # (anchor, call code) -> variable, to share duplicates
    for call, (anchor, _loop, guard) in plan.items():
        key = (anchor, module.code_for_node(call))
        if key not in made:
            made[key] = fresh(f"_hoisted_{len(made)}", taken)
            # max(xs) over `for x in xs`: computed only when the loop will run, as before
            value = cst.IfExp(test=call.args[0].value, body=call, orelse=cst.Name("None")) if guard else call
            before.setdefault(anchor, []).append(assign_line(made[key], value))
        replace[call] = cst.Name(made[key])
    return module.visit(Inserter(replace=replace, before=before)).code, ()


PATTERN = Pattern(id="hoist-invariant-call", description=DESCRIPTION, rewrite=rewrite)
