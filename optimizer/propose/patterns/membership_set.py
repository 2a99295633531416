"""membership-list-to-set: `x in seq` inside a loop tests against a set built once."""
from __future__ import annotations

import libcst as cst

from ._common import (Inserter, Pattern, Rewrite, assign_line, fresh, name_uses, params, parents,
                      parse_function, statement_of, walk)
from ._uses import assignment_of, call_name, has_suspension, is_pure_read, only_called
from ._loops import mentions, steps

DESCRIPTION = (
    "Inside a loop or comprehension, `x in NAME` where NAME is a parameter or a "
    "local that is never rebound or mutated gets a set built once before the "
    "outermost loop (`_NAME_set = set(NAME)`) and tests against that. Each list "
    "membership test is a linear scan; the set makes it a hash lookup. Not for "
    "strings (substring tests), iterators (consumed), or NAMEs that are already "
    "sets/dicts/ranges; semantics change if elements are unhashable (TypeError) "
    "or compare equal without hashing equal, and a loop that runs very few times "
    "can be slower for paying the set's construction."
)

# Annotation names that say `in` is already fast, is a substring test, or would
# consume a one-shot iterator when converted.
_SKIP_TYPES = {
    "str", "bytes", "bytearray", "set", "frozenset", "dict", "Set", "FrozenSet", "Dict",
    "AbstractSet", "MutableSet", "Mapping", "MutableMapping", "range", "Iterator",
    "Iterable", "Generator", "KeysView", "Counter", "defaultdict", "OrderedDict",
}
# Parameter-name words that suggest a str, where `in` is a substring test.
_STRINGY_WORDS = {"char", "chars", "str", "s", "text", "string", "line", "word", "name",
                  "prefix", "suffix", "sep", "path", "url", "pattern", "alphabet"}
_MIN_LITERAL = 4
_UNHASHABLE_LITERALS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


def _listish(value: cst.BaseExpression) -> bool:
    """A local's initial value we know to be a list/tuple (anything else: skip)."""
    if isinstance(value, (cst.List, cst.Tuple)):
        # A scan of a handful of items is about as fast as hashing: no gain.
        return len(value.elements) >= _MIN_LITERAL
    if isinstance(value, cst.ListComp):
        return True
    if call_name(value) in {"list", "tuple", "sorted"}:
        return True
    return (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in {"split", "rsplit", "splitlines"})


def _param_ok(param: cst.Param) -> bool:
    if param.star == "**":
        return False                    # **kwargs is a dict already
    if param.annotation is not None:
        ann = param.annotation.annotation
        if any(isinstance(n, cst.Name) and n.value in _SKIP_TYPES for n in walk(ann)):
            return False
    default = param.default
    if default is None:
        return True
    if isinstance(default, cst.Name):
        return default.value not in {"None", "True", "False"}   # None: optional, set(None) fails
    return isinstance(default, (cst.List, cst.Tuple))  # a string/set/dict default: wrong type


def _top_index(node, func, par) -> int | None:
    """Index in the function body of the top-level statement holding `node`."""
    body = list(func.body.body) if isinstance(func.body, cst.IndentedBlock) else []
    while node in par:
        if par[node] is func.body:
            return body.index(node) if node in body else None
        node = par[node]
    return None


def _name_ok(name: str, func, par) -> tuple[bool, int]:
    """Is NAME never rebound/mutated? Returns (ok, index of its top-level binding or -1)."""
    if name in {"self", "cls"}:
        return False, -1
    ps = params(func)
    binding_index = -1
    uses = name_uses(func, name, par)
    if name in ps:
        if not _param_ok(ps[name]) or set(name.lower().split("_")) & _STRINGY_WORDS:
            return False, -1
        uses = [u for u in uses if u is not ps[name].name]
    else:
        bindings = [u for u in uses if assignment_of(u, par) is not None]
        if len(bindings) != 1 or not _listish(assignment_of(bindings[0], par).value):
            return False, -1
        stmt = par[assignment_of(bindings[0], par)]
        if par.get(stmt) is not func.body:
            return False, -1            # bound conditionally or in a loop: skip
        binding_index = _top_index(stmt, func, par)
        uses = [u for u in uses if u is not bindings[0]]
    if _looks_like_mapping(uses, par):
        return False, -1
    return all(is_pure_read(u, par) for u in uses), binding_index


def _looks_like_mapping(uses: list[cst.Name], par) -> bool:
    """`if k in d: ... d[k]` or `d.get(...)`: d is a dict (a list is not indexed by its
    members) and `in` is already a hash lookup -> no gain."""
    module = cst.Module([])
    tested = set()
    for use in uses:
        target = par.get(use)
        if isinstance(target, cst.ComparisonTarget) and isinstance(par.get(target), cst.Comparison):
            tested.add(module.code_for_node(par[target].left))
    for use in uses:
        sub = par.get(use)
        if isinstance(sub, cst.Attribute) and sub.attr.value in {"get", "keys", "items", "values"}:
            return True
        if isinstance(sub, cst.Subscript) and sub.value is use and len(sub.slice) == 1:
            index = sub.slice[0].slice
            if isinstance(index, cst.Index) and module.code_for_node(index.value) in tested:
                return True
    return False


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per `x in NAME` / `x not in NAME` test, else it is left alone):

    - NAME is a plain name, not self/cls, and either a parameter (not **kwargs,
      not annotated str/bytes/set/dict/range/Iterator/..., default absent or a
      list/tuple/non-None name, and not named like a string: `chars`, `text`,
      `line`, `word`, `prefix`, ...) or a local bound exactly once by a top-level
      `NAME = <list/tuple literal, list comp, list()/tuple()/sorted(), .split()>`
      that comes before the loop;
    - every other use of NAME anywhere in the function is a pure read (an
      operand, a for-iterable, an argument to len/sorted/..., x[i] read) --
      so no rebinding, augmented assignment, method call, item assignment,
      del, aliasing, or passing it to arbitrary functions; and it is not used
      as a mapping (`if k in d: d[k]`), where hashing all keys is pure loss;
    - the test sits in a loop's repeated part (for/while body, while test,
      comprehension element/condition) of the same function, not in a lambda;
    - the left operand is not an unhashable literal (list/dict/set display).
    The set is built before the outermost such loop (or the statement holding
    the comprehension), even if the loop then runs zero times.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    if not only_called(func, "set", par):
        return None
    taken = set(par.names)
    groups: dict[tuple, list[cst.Name]] = {}     # (anchor stmt, NAME) -> uses to retarget
    verdicts: dict[str, tuple[bool, int]] = {}
    for node in list(par):
        if not (isinstance(node, cst.ComparisonTarget) and isinstance(node.comparator, cst.Name)
                and isinstance(node.operator, (cst.In, cst.NotIn))):
            continue
        comp = par[node]
        if len(comp.comparisons) != 1 or isinstance(comp.left, _UNHASHABLE_LITERALS):
            continue
        name = node.comparator.value
        if name not in verdicts:
            verdicts[name] = _name_ok(name, func, par)
        ok, bound_at = verdicts[name]
        if not ok:
            continue
        outermost, guards = None, []
        for step in steps(node, par):
            if isinstance(step.guard, tuple):
                guards.extend(step.guard)
            if step.loop:
                outermost = step.parent
        # `NAME is None or x in NAME`: the test protects the conversion too.
        if outermost is None or mentions(guards, {name}):
            continue
        if bound_at < 0 and has_suspension(outermost, par):
            continue                    # the caller may mutate the argument while we are paused
        anchor = statement_of(outermost, par)
        if anchor is None:
            continue
        if bound_at >= 0:
            # A local: the set must be built after NAME's binding, in a later statement.
            at = _top_index(anchor, func, par)
            if at is None or at <= bound_at:
                continue
        groups.setdefault((anchor, name), []).append(node.comparator)
    if not groups:
        return None
    before: dict = {}
    replace: dict = {}
    set_names: dict[str, str] = {}
    built_at: dict[str, int] = {}   # NAME -> top-level index where its set is surely built
    by_position = sorted(groups.items(), key=lambda g: _top_index(g[0][0], func, par))
    for (anchor, name), uses in by_position:
        var = set_names.get(name) or fresh(f"_{name}_set", taken)
        set_names[name] = var
        at = _top_index(anchor, func, par)
        if not (name in built_at and built_at[name] < at):
            # NAME never changes, so a set built by an earlier top-level statement still holds.
            line = assign_line(var, cst.Call(cst.Name("set"), [cst.Arg(cst.Name(name))]))
            before.setdefault(anchor, []).append(line)
            if par.get(anchor) is func.body:
                built_at[name] = at
        for use in uses:
            replace[use] = cst.Name(var)
    return module.visit(Inserter(replace=replace, before=before)).code, ()


PATTERN = Pattern(id="membership-list-to-set", description=DESCRIPTION, rewrite=rewrite)
