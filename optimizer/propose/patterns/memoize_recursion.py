"""memoize-pure-recursion: a pure function that calls itself twice or more gets an lru_cache."""
from __future__ import annotations

import libcst as cst

from ._common import Pattern, Rewrite, name_uses, params, parents, parse_function, walk
from ._uses import call_name, has_suspension, is_binding

DESCRIPTION = (
    "A top-level function that calls itself at least twice (fib, grid paths, "
    "partition counts: exponential recursion over overlapping subproblems) gets "
    "`@functools.lru_cache(maxsize=None)`, so each distinct argument tuple is "
    "computed once and the call tree collapses to one call per subproblem. Only "
    "for bodies that look pure (no global/nonlocal, I/O, randomness, clocks, "
    "attribute or item assignment, yield/await) with plain positional parameters "
    "used like immutable values (numbers, strings, tuples: no attribute reads, no "
    "mutating methods, no lists passed down the recursion), and results that are "
    "not fresh mutable containers or iterators. What differs: the cache keeps every argument and result alive "
    "between calls (memory grows with the number of distinct arguments); "
    "arguments that are equal and hash equal share one entry (1, 1.0 and True "
    "return the same cached result, so a result's type may follow the first "
    "caller's argument); unhashable arguments (lists, dicts) now raise TypeError; "
    "each recursion level goes through the cache wrapper, so a cold cache hits "
    "RecursionError at about half the depth; and a later call with the same "
    "arguments does not re-run the body at all."
)

_DECORATOR = "functools.lru_cache(maxsize=None)"

# Methods that only read a str/tuple/int/bytes; anything else called on a
# parameter suggests a mutable container (and would make the call unhashable).
_VALUE_METHODS = {
    "count", "index", "find", "rfind", "rindex", "startswith", "endswith", "lower", "upper",
    "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "replace", "join", "isdigit",
    "isalpha", "isalnum", "isspace", "isupper", "islower", "isdecimal", "isnumeric", "format",
    "encode", "decode", "partition", "rpartition", "casefold", "title", "capitalize", "zfill",
    "center", "ljust", "rjust", "bit_length", "bit_count", "conjugate", "is_integer",
    "removeprefix", "removesuffix", "translate", "expandtabs", "swapcase",
}
# Methods that mutate the builtin containers; allowed only on fresh local containers.
_MUTATORS = {
    "append", "extend", "add", "update", "pop", "popitem", "remove", "insert", "clear", "sort",
    "reverse", "setdefault", "discard", "appendleft", "extendleft", "popleft", "rotate",
    "intersection_update", "difference_update", "symmetric_difference_update",
    "__setitem__", "__delitem__", "__iadd__", "__ior__",
}
# Names whose mere presence means I/O, randomness, clocks or dynamic code: not pure.
_IMPURE_NAMES = {
    "print", "open", "input", "exec", "eval", "compile", "globals", "locals", "vars", "setattr",
    "delattr", "breakpoint", "__import__", "exit", "quit", "next", "iter", "id",
    "random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform",
    "gauss", "secrets", "uuid", "time", "perf_counter", "monotonic", "time_ns", "sleep",
    "datetime", "os", "sys", "urandom", "getenv", "environ", "logging", "logger",
    "subprocess", "socket", "requests", "threading", "asyncio", "sqlite3", "shutil", "pathlib",
    "Path", "tempfile", "signal", "warnings",
}
_MUTABLE_DISPLAYS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
_MUTABLE_CALLS = {"list", "dict", "set", "bytearray", "sorted", "defaultdict", "Counter",
                  "OrderedDict", "deque"}
_ONE_SHOT = {"map", "filter", "zip", "reversed", "enumerate", "iter"}
# Annotations that name immutable value types (equal values are interchangeable).
_VALUE_TYPES = {"int", "float", "str", "bytes", "bool", "complex", "tuple", "Tuple", "frozenset",
                "FrozenSet", "None", "Optional", "Union", "Literal", "Decimal", "Fraction", "typing",
                "Hashable"}
_CONSTANT = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)


def _constant_default(node: cst.BaseExpression) -> bool:
    """None/True/False, numbers, strings, negations and tuples of those."""
    if isinstance(node, _CONSTANT):
        return True
    if isinstance(node, cst.Name):
        return node.value in {"None", "True", "False"}
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return _constant_default(node.expression)
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and _constant_default(e.value) for e in node.elements)
    return False


def _params_ok(func: cst.FunctionDef) -> bool:
    p = func.params
    if isinstance(p.star_arg, cst.Param) or p.star_kwarg is not None or p.kwonly_params:
        return False
    plain = [*p.posonly_params, *p.params]
    if not plain or plain[0].name.value in {"self", "cls"}:
        return False
    for param in plain:
        if param.default is not None and not _constant_default(param.default):
            return False
        if param.annotation is not None:
            names = {n.value for n in walk(param.annotation.annotation) if isinstance(n, cst.Name)}
            if not names <= _VALUE_TYPES:
                return False            # a node, a container, a user object: not a plain value
    return True


def _fresh_container(value: cst.BaseExpression) -> bool:
    return isinstance(value, _MUTABLE_DISPLAYS) or call_name(value) in _MUTABLE_CALLS


def _fresh_locals(func: cst.FunctionDef, par: dict, param_names) -> set[str]:
    """Locals every binding of which is a plain `NAME = <new list/dict/set>`: safe to mutate."""
    bound: dict[str, bool] = {}
    for name in par.names:
        if name in param_names:
            continue
        for use in name_uses(func, name, par):
            if not is_binding(use, par):
                continue
            target = par.get(use)
            assign = par.get(target)
            ok = (isinstance(target, cst.AssignTarget) and isinstance(assign, cst.Assign)
                  and target.target is use and _fresh_container(assign.value))
            bound[name] = bound.get(name, True) and ok
    return {name for name, ok in bound.items() if ok}


def _may_be_mutable(expr: cst.BaseExpression, fresh_locals: set[str]) -> bool:
    """A returned value that may be a new mutable container or a one-shot iterator
    (the cache would hand the same object to every later caller)."""
    if _fresh_container(expr) or isinstance(expr, cst.GeneratorExp):
        return True
    if call_name(expr) in _ONE_SHOT:
        return True
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        return expr.func.attr.value == "copy"
    if isinstance(expr, cst.Subscript) and any(isinstance(e.slice, cst.Slice) for e in expr.slice):
        return _may_be_mutable(expr.value, fresh_locals)     # `out[:]` is another fresh list
    if isinstance(expr, cst.Name):
        return expr.value in fresh_locals
    if isinstance(expr, cst.BinaryOperation):
        return _may_be_mutable(expr.left, fresh_locals) or _may_be_mutable(expr.right, fresh_locals)
    if isinstance(expr, cst.IfExp):
        return _may_be_mutable(expr.body, fresh_locals) or _may_be_mutable(expr.orelse, fresh_locals)
    if isinstance(expr, cst.BooleanOperation):
        return _may_be_mutable(expr.left, fresh_locals) or _may_be_mutable(expr.right, fresh_locals)
    return False


def _param_use_ok(use: cst.Name, par: dict) -> bool:
    """A parameter used like an immutable value: no mutating method, no in-place container op."""
    p = par.get(use)
    if isinstance(p, cst.Attribute) and p.value is use:
        call = par.get(p)
        if isinstance(call, cst.Call) and call.func is p:
            return p.attr.value in _VALUE_METHODS
        # A plain attribute read (`node.left`) means an object: structural recursion
        # without shared subproblems, and a mutable object would be cached by identity.
        return False
    if isinstance(p, cst.AugAssign) and p.target is use:
        return not _fresh_container(p.value)   # `xs += [x]` extends a list in place
    return True


def _body_pure(func: cst.FunctionDef, par, fresh_locals: set[str]) -> bool:
    if func.asynchronous is not None or has_suspension(func.body, par):
        return False
    for node in walk(func.body, par):
        if isinstance(node, (cst.Global, cst.Nonlocal, cst.Yield, cst.Await)):
            return False
        if isinstance(node, cst.Name) and node.value in _IMPURE_NAMES:
            p = par.get(node)
            if not (isinstance(p, cst.Attribute) and p.attr is node):
                return False
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)):
            for target in walk(node.target, par):
                if isinstance(target, (cst.Attribute, cst.Subscript)) and is_binding(target, par):
                    return False
        if isinstance(node, (cst.For, cst.CompFor, cst.WithItem)):
            inner = node.target if not isinstance(node, cst.WithItem) else node.asname
            if inner is not None and any(isinstance(t, (cst.Attribute, cst.Subscript))
                                         for t in walk(inner, par)):
                return False
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in _MUTATORS):
            owner = node.func.value
            if not (isinstance(owner, cst.Name) and owner.value in fresh_locals):
                return False
        if isinstance(node, cst.Return) and node.value is not None:
            if _may_be_mutable(node.value, fresh_locals):
                return False
    return True


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (all must hold, else None):

    - a plain (not async) function, no decorators, whose first parameter is not
      self/cls (a method's instances would be kept alive and hashed);
    - parameters are positional only (no *args, **kwargs, keyword-only ones);
      defaults are constants (numbers, strings, None/True/False, tuples of
      those); annotations name only immutable value types (int, float, str,
      bytes, bool, tuple, frozenset, Optional/Union/Literal of those, ...);
    - the function's own name is only ever called in its body (not rebound,
      not passed around), and it is called at least twice; no argument of
      these calls is a possibly fresh container or iterator (as for returns,
      below): a function recursing on lists would raise TypeError when cached;
    - each parameter is used like an immutable value: methods called on it are
      str/tuple/int readers only (count, index, startswith, ...), no plain
      attribute is read from it (`node.left`: an object -- tree walks have no
      shared subproblems, and objects hash by identity even when mutable), and
      it is not augmented-assigned with a list/set/dict display;
    - the body is pure: no global/nonlocal, yield/await, no print/open/input/
      exec/eval/next/iter/id, no random/time/os/sys/datetime/logging/... names,
      no assignment or del of an attribute or subscript anywhere (also as a
      for/with target), and mutating methods (append, add, update, pop, sort,
      setdefault, ...) only on locals every binding of which is a fresh
      list/dict/set display or list()/dict()/set()/sorted() call;
    - no `return` gives a possibly fresh mutable container or one-shot
      iterator (display, list()/dict()/set()/sorted(), such a local or a slice
      of it, `.copy()`, a generator expression, map/filter/zip/reversed/
      enumerate/iter, or `+`/`if`/`or`-combinations of them): the cache would
      hand the same object to every later caller.
    Calls to other functions are not checked for purity; verification decides.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    if func.decorators or not _params_ok(func):
        return None
    par = parents(module)
    name = func.name.value
    self_calls = []
    for use in name_uses(func, name, par):
        holder = par.get(use)
        if not (isinstance(holder, cst.Call) and holder.func is use):
            return None
        self_calls.append(holder)
    if len(self_calls) < 2:
        return None
    param_names = params(func)
    for param_name, param in param_names.items():
        uses = [u for u in name_uses(func, param_name, par) if u is not param.name]
        if not all(_param_use_ok(u, par) for u in uses):
            return None
    fresh_locals = _fresh_locals(func, par, param_names)
    for self_call in self_calls:
        if any(_may_be_mutable(arg.value, fresh_locals) for arg in self_call.args):
            return None                 # it recurses on lists: unhashable under the cache
    if not _body_pure(func, par, fresh_locals):
        return None
    decorator = cst.Decorator(cst.parse_expression(_DECORATOR))
    new_func = func.with_changes(decorators=[decorator])
    return module.with_changes(body=[new_func]).code, ("import functools",)


PATTERN = Pattern(id="memoize-pure-recursion", description=DESCRIPTION, rewrite=rewrite)
