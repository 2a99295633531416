"""Shared plumbing for the pattern rewrites: parsing, parent links, name uses, insertion.

Every pattern works on one dedented `def` parsed with libcst, so comments and
formatting survive. Analyses here are deliberately syntactic and conservative:
when a use of a name is not in a context we understand, callers skip.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import libcst as cst

Rewrite = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class Pattern:
    id: str
    description: str
    rewrite: Callable[[str], Rewrite | None]
    # The first Python (major, minor) on which the rewrite no longer pays, measured; the
    # proposer does not offer it for a repository whose Python is that or newer.
    until: tuple[int, int] | None = None

    def pays_on(self, python_version: str) -> bool:
        if self.until is None:
            return True
        try:
            version = tuple(int(p) for p in python_version.split(".")[:2])
        except ValueError:
            return True
        return version < self.until


def parse_function(source: str) -> tuple[cst.Module, cst.FunctionDef] | None:
    """The module and its single top-level def, or None for anything else."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None
    if len(module.body) != 1 or not isinstance(module.body[0], cst.FunctionDef):
        return None
    return module, module.body[0]


class Tree(dict):
    """child -> parent for one parsed module, plus a preorder index for fast subtree walks.

    libcst nodes compare by identity, so they key a dict; `node.children` is
    costly in libcst, so walks over big subtrees slice the preorder list instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[cst.CSTNode] = []
        self.span: dict[cst.CSTNode, tuple[int, int]] = {}
        self.names: dict[str, list[cst.Name]] = {}


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.tree = Tree()
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        tree = self.tree
        if self._stack:
            tree[node] = self._stack[-1]
        tree.span[node] = (len(tree.nodes), -1)
        tree.nodes.append(node)
        if isinstance(node, cst.Name):
            tree.names.setdefault(node.value, []).append(node)
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()
        start, _ = self.tree.span[original_node]
        self.tree.span[original_node] = (start, len(self.tree.nodes))


def parents(root: cst.CSTNode) -> Tree:
    collector = _Collector()
    root.visit(collector)
    return collector.tree


def walk(root: cst.CSTNode, tree: Tree | None = None) -> Iterator[cst.CSTNode]:
    """`root` and everything under it, preorder; fast when given the Tree."""
    if tree is not None and root in tree.span:
        start, end = tree.span[root]
        yield from tree.nodes[start:end]
        return
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def ancestors(node: cst.CSTNode, par: dict) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
    """(child, parent) pairs from `node` upwards."""
    while node in par:
        yield node, par[node]
        node = par[node]


def name_uses(func: cst.FunctionDef, name: str, par: Tree) -> list[cst.Name]:
    """Every Name spelling `name` that is a variable (not `x.name`, not `f(name=...)`)."""
    start, end = par.span[func]
    found = []
    for node in par.names.get(name, ()):
        if node is func.name or not start <= par.span[node][0] < end:
            continue
        p = par.get(node)
        if isinstance(p, cst.Attribute) and p.attr is node:
            continue
        if isinstance(p, cst.Arg) and p.keyword is node:
            continue
        found.append(node)
    return found


def fresh(base: str, taken: set[str]) -> str:
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def params(func: cst.FunctionDef) -> dict[str, cst.Param]:
    p = func.params
    every = [*p.posonly_params, *p.params, *p.kwonly_params]
    for star in (p.star_arg, p.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return {x.name.value: x for x in every}


SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def statement_of(node: cst.CSTNode, par: dict) -> cst.CSTNode | None:
    """The nearest enclosing statement that sits directly in a block (where we can insert)."""
    for child, p in ancestors(node, par):
        if isinstance(p, (cst.IndentedBlock, cst.Module)):
            return child
        if isinstance(p, SCOPES):
            return None
    return None


class Inserter(cst.CSTTransformer):
    """Insert statements before/after given original statements, and swap given nodes.

    `replace` maps an original node to its replacement (identity keyed), or to a
    function of the updated node when edits inside it must survive; `before` and
    `after` map an original block-level statement to lines to add around it.
    The inserted line before a statement takes over its leading blank lines and
    comments, so a comment that introduced the statement now introduces the pair.
    """

    def __init__(self, replace=None, before=None, after=None):
        super().__init__()
        self.replace = replace or {}
        self.before = before or {}
        self.after = after or {}

    def on_leave(self, original_node, updated_node):
        new = self.replace.get(original_node, updated_node)
        if callable(new) and not isinstance(new, cst.CSTNode):
            new = new(updated_node)
        if isinstance(new, (cst.IndentedBlock, cst.Module)):
            new = self._splice(original_node, new)
        return new

    def _splice(self, original, updated):
        body = []
        for orig, upd in zip(original.body, updated.body):
            pre = list(self.before.get(orig, ()))
            if pre and hasattr(upd, "leading_lines"):
                pre[0] = pre[0].with_changes(leading_lines=upd.leading_lines)
                upd = upd.with_changes(leading_lines=())
            body.extend(pre)
            body.append(upd)
            body.extend(self.after.get(orig, ()))
        return updated.with_changes(body=body)


def assign_line(name: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], value)])
