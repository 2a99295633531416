"""range-len-to-iteration: `for i in range(len(xs))` that only reads `xs[i]` iterates xs directly."""
from __future__ import annotations

import libcst as cst

from ._common import (SCOPES, Inserter, Pattern, Rewrite, ancestors, fresh, name_uses, params,
                      parents, parse_function, walk)
from ._uses import PURE_READERS, READ_METHODS, call_name, is_binding, only_called, plain_args
from ._loops import COMPREHENSIONS, invariant

DESCRIPTION = (
    "`for i in range(len(xs)):` whose body uses `i` only to read `xs[i]` becomes "
    "`for xs_item in xs:` with each `xs[i]` replaced by `xs_item`. Iterating the "
    "sequence directly skips building an int per step and the repeated "
    "index-and-bounds-check of `xs[i]` (one subscript per use), typically "
    "1.3-2x on the loop overhead. Only when xs is a plain name that the loop "
    "neither rebinds nor mutates nor hands to arbitrary code, and `i` is not "
    "read anywhere else (not after the loop, not in an else clause, not in a "
    "closure). What differs: iteration follows xs's current length while "
    "range(len(xs)) fixed it up front (only visible if something else resizes "
    "xs mid-loop), a non-sequence that supports len() and [] but iterates "
    "otherwise (a dict keyed 0..n-1) would change meaning (dict-looking names "
    "are refused), and an unsized iterable no longer raises TypeError."
)

_MAPPING_METHODS = {"keys", "values", "items", "get", "setdefault", "popitem"}
_MAPPING_CALLS = {"dict", "defaultdict", "Counter", "OrderedDict", "ChainMap"}
_MAPPING_TYPES = {"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict",
                  "Counter", "OrderedDict", "ChainMap"}


def _loop_sequence(loop: cst.For) -> tuple[str, str] | None:
    """(i, xs) for `for i in range(len(xs))`, else None."""
    if loop.asynchronous is not None or not isinstance(loop.target, cst.Name):
        return None
    call = loop.iter
    if call_name(call) != "range" or len(call.args) != 1 or not plain_args(call):
        return None
    inner = call.args[0].value
    if call_name(inner) != "len" or len(inner.args) != 1 or not plain_args(inner):
        return None
    seq = inner.args[0].value
    if not isinstance(seq, cst.Name) or seq.value == loop.target.value:
        return None
    return loop.target.value, seq.value


def _inside(node: cst.CSTNode, root: cst.CSTNode, par) -> bool:
    start, end = par.span[root]
    return start <= par.span[node][0] < end


def _indexed_read(use: cst.Name, seq: str, loop: cst.For, par) -> cst.Subscript | None:
    """The `seq[i]` read holding this use of i, if it is exactly that and runs in the loop body."""
    index = par.get(use)
    element = par.get(index)
    sub = par.get(element)
    if not (isinstance(index, cst.Index) and isinstance(element, cst.SubscriptElement)
            and isinstance(sub, cst.Subscript) and len(sub.slice) == 1
            and isinstance(sub.value, cst.Name) and sub.value.value == seq):
        return None
    if index.star is not None or is_binding(sub, par):
        return None
    # Lazily run code (a lambda, def, generator expression) could read after xs changes.
    for _, p in ancestors(sub, par):
        if p is loop:
            return sub
        if isinstance(p, SCOPES + (cst.GeneratorExp,)):
            return None
    return None


def _binds(target: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in walk(target))


def _target_of(use: cst.Name, par) -> cst.CSTNode | None:
    """The For/CompFor whose target this Name is (possibly inside a tuple), else None."""
    node = use
    while isinstance(par.get(node), (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        node = par[node]
    holder = par.get(node)
    if isinstance(holder, (cst.For, cst.CompFor)) and holder.target is node:
        return holder
    return None


def _comprehension_local(use: cst.Name, name: str, par) -> bool:
    """A use of a comprehension's own `i` (Python 3 comprehensions have their own scope)."""
    if isinstance(_target_of(use, par), cst.CompFor):
        return True
    for _, p in ancestors(use, par):
        if isinstance(p, SCOPES):
            return False
        if isinstance(p, COMPREHENSIONS) and not _inside(use, p.for_in.iter, par):
            comp_for = p.for_in
            while comp_for is not None:
                if _binds(comp_for.target, name):
                    return True
                comp_for = comp_for.inner_for_in
    return False


def _independent(use: cst.Name, name: str, loop: cst.For, func, par) -> bool:
    """A use of i outside `loop` that can never observe the value the loop left behind."""
    if _target_of(use, par) is not None or _comprehension_local(use, name, par):
        return True                     # another loop (re)binding i, or a comprehension's own i
    for child, p in ancestors(use, par):
        if p is func or isinstance(p, SCOPES):
            return False                # a closure might run after our loop
        if (isinstance(p, cst.For) and child is p.body and _binds(p.target, name)
                and not _inside(loop, p, par)):
            return True                 # read in a disjoint loop's body, after its own binding
    return False


def _looks_like_mapping(func, seq: str, par) -> bool:
    param = params(func).get(seq)
    if param is not None and param.annotation is not None:
        names = {n.value for n in walk(param.annotation.annotation) if isinstance(n, cst.Name)}
        if names & _MAPPING_TYPES:
            return True
    for use in name_uses(func, seq, par):
        p = par.get(use)
        if isinstance(p, cst.Attribute) and p.value is use and p.attr.value in _MAPPING_METHODS:
            return True
        target = par.get(use)
        assign = par.get(target)
        if (isinstance(target, cst.AssignTarget) and isinstance(assign, cst.Assign)
                and (isinstance(assign.value, (cst.Dict, cst.DictComp))
                     or call_name(assign.value) in _MAPPING_CALLS)):
            return True
    return False


def _only_pure_calls(node: cst.CSTNode, par) -> bool:
    for n in walk(node, par):
        if not isinstance(n, cst.Call):
            continue
        if call_name(n) in PURE_READERS | {"range"}:
            continue
        if isinstance(n.func, cst.Attribute) and n.func.attr.value in READ_METHODS:
            continue
        return False
    return True


def _declared(func, name: str, par) -> bool:
    return any(isinstance(par.get(u), cst.NameItem) for u in name_uses(func, name, par))


def _plan(loop: cst.For, func, par) -> tuple[str, list[cst.Subscript]] | None:
    found = _loop_sequence(loop)
    if found is None:
        return None
    index, seq = found
    reads = []
    for use in name_uses(func, index, par):
        if use is loop.target:
            continue
        if _inside(use, loop.body, par):
            if _comprehension_local(use, index, par):
                continue                # `[xs[i] for i in ...]` in the body: another i
            sub = _indexed_read(use, seq, loop, par)
            if sub is None:
                return None
            reads.append(sub)
        elif not _independent(use, index, loop, func, par):
            return None
    if not reads or _declared(func, seq, par) or _looks_like_mapping(func, seq, par):
        return None
    if not invariant(loop, {seq}, func, par):
        return None
    local = any(is_binding(u, par) for u in name_uses(func, seq, par)) or seq in params(func)
    if not local and not _only_pure_calls(loop.body, par):
        return None                     # a module-level list: any call might resize it
    return seq, reads


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per `for i in range(len(xs)):` loop, else that loop is left alone):

    - a plain (not async) for loop whose target is a single name `i` and whose
      iterable is exactly `range(len(xs))` with xs a plain name (not `i`);
      `range` and `len` are only called in the function (not rebound);
    - in the loop body every use of `i` is a read `xs[i]` (not assigned,
      augmented, deleted, starred), not inside a lambda, nested def/class or
      generator expression -- or belongs to a comprehension that binds its own
      `i`; there is at least one such read;
    - every use of `i` outside the body is another loop's (or comprehension's)
      binding of `i`, a read inside a comprehension that binds its own `i`,
      or a read in the body of another for loop binding `i` that does not
      contain this loop -- so nothing after the loop, in its `else:`, or in a
      closure can see `i`;
    - xs is invariant over the loop (no rebinding, method call other than a
      pure reader, item assignment, del, or passing to non-pure functions
      inside it; no alias leaked before it; no yield/await in it), is not
      declared global/nonlocal, and does not look like a mapping (annotated
      dict/Mapping/..., bound to a dict display/dict()/Counter/defaultdict, or
      used with .keys/.values/.items/.get);
    - if xs is neither a parameter nor a local, the loop body calls only pure
      builtins and read methods (any other call might resize it).
    The loop variable is a fresh name `<xs>_item` (suffixed if taken).
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if not (only_called(func, "range", par) and only_called(func, "len", par)):
        return None
    taken = set(par.names)
    replace: dict = {}
    for node in walk(func, par):
        if not isinstance(node, cst.For):
            continue
        plan = _plan(node, func, par)
        if plan is None:
            continue
        seq, reads = plan
        item = fresh(f"{seq}_item", taken)
        replace[node] = _retarget(item, seq)
        for sub in reads:
            replace[sub] = cst.Name(item, lpar=sub.lpar, rpar=sub.rpar)
    if not replace:
        return None
    return module.visit(Inserter(replace=replace)).code, ()


def _retarget(item: str, seq: str):
    def apply(loop: cst.For) -> cst.For:
        return loop.with_changes(target=cst.Name(item), iter=cst.Name(seq))
    return apply


PATTERN = Pattern(id="range-len-to-iteration", description=DESCRIPTION, rewrite=rewrite)
