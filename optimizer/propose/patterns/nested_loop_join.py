"""nested-loop-join-to-dict: an equality join by nested loops becomes one dict index + lookups."""
from __future__ import annotations

import libcst as cst

from ._common import (Inserter, Pattern, Rewrite, ancestors, assign_line, fresh, name_uses, parents,
                      parse_function, walk)
from ._uses import (PURE_READERS, READ_METHODS, call_name, has_suspension, is_binding,
                    is_pure_read, only_called, plain_args)
from ._loops import dotted, mentions

DESCRIPTION = (
    "`for a in A: for b in B: if KA == KB: BODY` (KA depends only on a, KB only on b) "
    "becomes an index built once, `b_by_key = {}; for b in B: "
    "b_by_key.setdefault(KB, []).append(b)`, and a lookup per a, `for b in "
    "b_by_key.get(KA, ()): BODY`. The nested scan costs O(|A|*|B|) comparisons; the "
    "index makes it O(|A|+|B|) plus the matches, in the same order (matches of one a "
    "still come in B order, duplicates included, and a `break` still stops at the first "
    "match). What differs, for the verification stage to judge: keys must be hashable "
    "(an unhashable key raises TypeError where the loop did not), equality must agree "
    "with hashing (true for built-in types: 1, 1.0 and True match in both; a NaN key "
    "matches itself in a dict but not with ==; an __eq__ returning non-bools differs); "
    "B and every KB are evaluated once, before the loop, even when A is empty, and KA "
    "once per a even when B is empty (an error in them may surface where the loops did "
    "not evaluate them); and B is iterated once instead of once per a, so a one-shot "
    "iterator B, which the original only matched against the first a, now matches "
    "every a."
)

_CONSTANTS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)
_LITERALS = _CONSTANTS + (cst.ConcatenatedString, cst.FormattedString, cst.List, cst.Tuple,
                          cst.Dict, cst.Set)
_LATER = (cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.GeneratorExp)
_KEY_CALLS = ("len", "str", "int", "tuple")


def _constant(node: cst.CSTNode) -> bool:
    if isinstance(node, _CONSTANTS):
        return True
    return (isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus)
            and isinstance(node.expression, (cst.Integer, cst.Float)))


def _simple_key(expr: cst.CSTNode, calls: set[str]) -> bool:
    """Side-effect-free: names, constants, attributes, x[name-or-constant], tuples of those,
    and len/str/int/tuple (not rebound locally: `calls`) of those."""
    if isinstance(expr, cst.Name) or _constant(expr):
        return True
    if isinstance(expr, cst.Attribute):
        return _simple_key(expr.value, calls)
    if isinstance(expr, cst.Subscript):
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return False
        index = expr.slice[0].slice.value
        ok_index = isinstance(index, cst.Name) or _constant(index)
        return ok_index and _simple_key(expr.value, calls)
    if isinstance(expr, cst.Tuple):
        return all(isinstance(e, cst.Element) and _simple_key(e.value, calls)
                   for e in expr.elements)
    if isinstance(expr, cst.Call):
        return (call_name(expr) in calls and bool(expr.args) and plain_args(expr)
                and all(_simple_key(a.value, calls) for a in expr.args))
    return False


def _names(expr: cst.CSTNode) -> set[str]:
    """Variable names read by a simple key (not attribute names, not the called builtins)."""
    found = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Call):
            stack.extend(a.value for a in node.args)
        else:
            stack.extend(node.children)
    return found


def _target_names(target: cst.CSTNode) -> set[str] | None:
    """Names bound by a for-target made only of names and (nested) tuples/lists of names."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for e in target.elements:
            sub = _target_names(e.value)
            if sub is None:
                return None
            out |= sub
        return out
    return None


def _free_of_side_effects(expr: cst.CSTNode, par) -> bool:
    """The outer iterable now runs after the index is built: it must not be able to change B."""
    for node in walk(expr, par):
        if isinstance(node, (cst.NamedExpr, cst.Yield, cst.Await, cst.Lambda)):
            return False
        if isinstance(node, cst.Call):
            method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
            if call_name(node) not in PURE_READERS | {"range"} and method not in READ_METHODS:
                return False
    return True


def _root(node: cst.CSTNode) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.value if not isinstance(node, cst.Call) else node.func
    return node.value if isinstance(node, cst.Name) else None


def _changed(obj: cst.CSTNode) -> str | None:
    """The value a store or method call on `obj` changes, as a chain: `x.a` for x.a, the
    root name for `x[i].a`, None for a literal (`", ".join`), '*' when unknown."""
    chain = dotted(obj)
    if chain is not None:
        return chain
    if isinstance(obj, _LITERALS):
        return None
    return _root(obj) or "*"


def _writes(body: cst.CSTNode, par) -> set[str]:
    """Chains that statements in `body` may rebind or mutate: `x = ..` -> x, `x.a.b = ..` ->
    x.a.b, `x.a[i] = ..` / `del x.a[i]` -> x.a, `x.a.m(..)` (m not a read method) -> x.a."""
    out: set[str | None] = set()
    for node in walk(body, par):
        if isinstance(node, cst.Name) and is_binding(node, par):
            out.add(node.value)
        elif isinstance(node, cst.Attribute) and is_binding(node, par):
            out.add(_changed(node))
        elif isinstance(node, cst.Subscript) and is_binding(node, par):
            out.add(_changed(node.value))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value not in READ_METHODS:
                out.add(_changed(node.func.value))
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            out.add("*")
    out.discard(None)
    return out


def _conflicts(writes: set[str], exprs) -> bool:
    if "*" in writes:
        return True
    return mentions(exprs, writes)


def _b_root_touched(root: str, body: cst.CSTNode, par) -> bool:
    """Could BODY mutate or rebind B (any method call on or store into its root name)?"""
    for node in walk(body, par):
        if not (isinstance(node, cst.Name) and node.value == root):
            continue
        holder = par.get(node)
        if isinstance(holder, cst.Attribute) and holder.attr is node:
            continue                    # `x.root`: an attribute name, not the variable
        if isinstance(holder, cst.Arg) and holder.keyword is node:
            continue                    # `f(root=...)`: a keyword, not the variable
        if not is_pure_read(node, par):
            return True
        top = node
        while isinstance(par.get(top), (cst.Attribute, cst.Subscript)) and par[top].value is top:
            top = par[top]
            if (isinstance(top, cst.Attribute) and isinstance(par.get(top), cst.Call)
                    and par[top].func is top):
                return True             # root.m(..) or root.x.m(..), even a read method
    return False


def _match(outer: cst.For, func, par, calls: set[str]) -> tuple | None:
    """(inner for, if, KA, KB, b) when `outer` is a join we may rewrite, else None."""
    if outer.asynchronous is not None or outer.orelse is not None:
        return None
    body = outer.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return None
    inner = body.body[0]
    if not isinstance(inner, cst.For) or inner.asynchronous is not None or inner.orelse is not None:
        return None
    if not isinstance(inner.target, cst.Name) or len(inner.body.body) != 1:
        return None
    test_if = inner.body.body[0]
    if not isinstance(test_if, cst.If) or test_if.orelse is not None:
        return None
    test = test_if.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)):
        return None
    a_names = _target_names(outer.target)
    b = inner.target.value
    if a_names is None or b in a_names:
        return None
    left, right = test.left, test.comparisons[0].comparator
    if not (_simple_key(left, calls) and _simple_key(right, calls)):
        return None
    sides = []
    for ka, kb in ((left, right), (right, left)):
        na, nb = _names(ka), _names(kb)
        if na & a_names and b not in na and b in nb and not nb & a_names:
            sides.append((ka, kb))
    if len(sides) != 1:
        return None
    ka, kb = sides[0]
    # B: a name or attribute chain not depending on the outer loop, not touched by BODY.
    b_chain = dotted(inner.iter)
    if b_chain is None:
        return None
    b_root = b_chain.split(".")[0]
    if b_root in a_names | {b} or _b_root_touched(b_root, test_if.body, par):
        return None
    if b_chain in {"True", "False", "None"} or not _free_of_side_effects(outer.iter, par):
        return None
    # Keys: neither they, nor anything they read, is rebound or mutated by BODY.
    if _conflicts(_writes(test_if.body, par), [ka, kb]):
        return None
    if has_suspension(outer, par):
        return None
    # `b` ends up with other values than the original's after the inner loop: it must
    # not be read there, nor by a closure or generator that may run later.
    start, end = par.span[inner]
    for use in name_uses(func, b, par):
        if not start <= par.span[use][0] < end:
            return None
        if any(isinstance(p, _LATER) for _, p in ancestors(use, par) if par.span[p][0] >= start):
            return None
    return inner, test_if, ka, kb, b


def _new_body(inner: cst.For, test_if: cst.If) -> cst.BaseSuite:
    """The if's body as the inner loop's body, keeping the comments of the dropped `if` line."""
    body = test_if.body
    header = inner.body.header
    notes = list(test_if.leading_lines)
    if isinstance(body, cst.IndentedBlock):
        if_comment = body.header.comment
        if header.comment is None:
            header = body.header
        elif if_comment is not None:
            notes.append(cst.EmptyLine(comment=if_comment))
        first = body.body[0]
        if notes and hasattr(first, "leading_lines"):
            first = first.with_changes(leading_lines=[*notes, *first.leading_lines])
            body = body.with_changes(body=[first, *body.body[1:]])
        return body.with_changes(header=header, footer=[*body.footer, *inner.body.footer])
    # `if k == k2: stmt` on one line
    if not any(line.comment for line in notes) and not inner.body.footer and header.comment is None:
        return body
    line = cst.SimpleStatementLine(body=body.body, leading_lines=notes,
                                   trailing_whitespace=body.trailing_whitespace)
    return cst.IndentedBlock(body=[line], header=header, footer=inner.body.footer)


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per outer loop, else it is left alone):

    - shape `for T in A: for b in B: if KA == KB: BODY` (or `KB == KA`): the inner
      `for` is the only statement of the outer body, the `if` the only statement
      of the inner body; no elif/else on the `if`, no else on either loop, no
      `async for`; b is a plain name, T names only (a name or a tuple of names);
    - KA and KB are side-effect-free: names, constants, attributes, subscripts with
      a name or constant index, tuples of those, and len/str/int/tuple of those
      (builtins not rebound in the function); no other calls, no walrus;
    - KA reads a name bound by T and not b; KB reads b and no name bound by T;
    - BODY rebinds or mutates nothing the keys read: no assignment, augmented
      assignment, del, for/with target, attribute or item store, or non-read method
      call whose object overlaps a chain in KA/KB (`b`, `b.key`, `a.k`, the free
      names), and no global/nonlocal;
    - B is a plain name or attribute chain whose root is not bound by T and not b,
      and BODY neither rebinds its root, stores into it, calls any method on it,
      nor passes it anywhere but pure readers;
    - A calls nothing but pure builtins and read methods (it is now evaluated after
      the index is built); the loops contain no yield/await;
    - b is not used anywhere in the function outside the inner loop, nor inside a
      lambda, def, class or generator expression there (afterwards b holds other
      values than in the original).
    A one-shot iterator B, hash/eq disagreement, unhashable keys and mutation of
    the keys through calls into other code are left to the verification stage.
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    par = parents(module)
    calls = {n for n in _KEY_CALLS if only_called(func, n, par)}
    taken = set(par.names)
    replace: dict = {}
    before: dict = {}
    for node in walk(func, par):
        if not isinstance(node, cst.For):
            continue
        found = _match(node, func, par, calls)
        if found is None:
            continue
        inner, test_if, ka, kb, b = found
        index = fresh(f"{b}_by_key", taken)
        add = cst.Call(cst.Attribute(cst.Name(index), cst.Name("setdefault")),
                       [cst.Arg(kb.deep_clone()), cst.Arg(cst.List([]))])
        fill = cst.SimpleStatementLine([cst.Expr(
            cst.Call(cst.Attribute(add, cst.Name("append")), [cst.Arg(cst.Name(b))]))])
        build = cst.For(target=cst.Name(b), iter=inner.iter.deep_clone(),
                        body=cst.IndentedBlock([fill]))
        before[node] = [assign_line(index, cst.Dict([])), build]
        lookup = cst.Call(cst.Attribute(cst.Name(index), cst.Name("get")),
                          [cst.Arg(ka.deep_clone()), cst.Arg(cst.Tuple([]))])

        def swap(updated, lookup=lookup):
            return updated.with_changes(iter=lookup,
                                        body=_new_body(updated, updated.body.body[0]))
        replace[inner] = swap
    if not replace:
        return None
    return module.visit(Inserter(replace=replace, before=before)).code, ()


PATTERN = Pattern(id="nested-loop-join-to-dict", description=DESCRIPTION, rewrite=rewrite)
