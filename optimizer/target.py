"""Locate: find the repository's functions with tree-sitter, resolve a --target
name, and splice a new definition back into a module's text."""
from __future__ import annotations

import difflib
import functools
import os
import textwrap
from pathlib import Path

from .errors import AmbiguousTarget, TargetNotFound
from .model import Target

# Folders that are never the user's own code.
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "__pycache__", "node_modules",
             "build", "dist", "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
             ".eggs", ".home", ".optimize-out"}


def is_test_path(rel_path: str) -> bool:
    parts = rel_path.split("/")
    name = parts[-1]
    return (any(p in ("tests", "test", "testing") for p in parts[:-1])
            or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")


def python_files(root: Path) -> list[str]:
    """Relative paths of the repo's own (non-test) Python files."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                rel = (Path(dirpath) / name).relative_to(root).as_posix()
                if not is_test_path(rel):
                    found.append(rel)
    return found


@functools.cache
def _parser():
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def module_name(rel_path: str) -> tuple[str, str]:
    """(dotted module name, import root) for a repo-relative path; handles the src/ layout."""
    parts = rel_path[:-3].split("/")
    root = ""
    if parts[0] == "src" and len(parts) > 1:
        root, parts = "src", parts[1:]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts), root


def targets_in_file(root: Path, rel_path: str) -> list[Target]:
    data = (root / rel_path).read_bytes()
    tree = _parser().parse(data)
    module, import_root = module_name(rel_path)
    imports = tuple(_text(data, n) for n in tree.root_node.children
                    if n.type in ("import_statement", "import_from_statement"))
    found: list[tuple] = []
    _collect(tree.root_node, data, prefix="", class_name=None, out=found)
    # A name defined twice in one body (typing.overload stubs before the implementation, a
    # redefinition) is bound to its last definition once the body has run: that one is the target.
    last = {q: i for i, (q, *_) in enumerate(found)}
    found = [f for i, f in enumerate(found) if last[f[0]] == i]
    names = {q.rsplit(".", 1)[-1]: q for q, *_ in found}
    targets = []
    for qualname, outer, func, class_name in found:
        start = data.rfind(b"\n", 0, outer.start_byte) + 1   # from the line's start: keep indentation
        indent = data[start:outer.start_byte].decode()
        called = sorted({names[c] for c in _called_names(func, data) if c in names and names[c] != qualname})
        targets.append(Target(
            file=rel_path, module=module, qualname=qualname,
            start_line=outer.start_point[0] + 1, end_line=outer.end_point[0] + 1,
            start_byte=start, end_byte=outer.end_byte, source=data[start:outer.end_byte].decode(),
            indent=indent, class_name=class_name, imports=imports, callees=tuple(called),
            import_root=import_root,
        ))
    return targets


def _text(data: bytes, node) -> str:
    return data[node.start_byte:node.end_byte].decode()


def _collect(node, data: bytes, prefix: str, class_name: str | None, out: list) -> None:
    """Module-level functions and methods of (nested) classes; not functions inside functions."""
    for child in node.children:
        outer, inner = child, child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition")
        if inner is None:
            continue
        if inner.type == "function_definition":
            name = _text(data, inner.child_by_field_name("name"))
            out.append((prefix + name, outer, inner, class_name))
        elif inner.type == "class_definition":
            name = _text(data, inner.child_by_field_name("name"))
            body = inner.child_by_field_name("body")
            if body is not None:
                _collect(body, data, prefix + name + ".", prefix + name, out)


def _called_names(func, data: bytes) -> set[str]:
    names, stack = set(), [func]
    while stack:
        node = stack.pop()
        if node.type == "call":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "identifier":
                names.add(_text(data, fn))
            elif fn is not None and fn.type == "attribute":
                names.add(_text(data, fn.child_by_field_name("attribute")))
        stack.extend(node.children)
    return names


def index_repo(root: Path) -> list[Target]:
    targets = []
    for rel_path in python_files(root):
        try:
            targets.extend(targets_in_file(root, rel_path))
        except (OSError, UnicodeDecodeError):
            continue
    return targets


def resolve(targets: list[Target], spec: str) -> Target:
    """Resolve a --target spec; TargetNotFound or AmbiguousTarget otherwise."""
    matches = [t for t in targets if _matches(t, spec)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f"{t.file}::{t.qualname}" for t in matches)
        raise AmbiguousTarget(f"target {spec!r} is ambiguous: {listed}; name one of them")
    by_key = {k: t.name for t in targets for k in (t.name, t.qualname)}
    close = difflib.get_close_matches(spec.split("::")[-1].replace(":", "."), sorted(by_key), n=6, cutoff=0.5)
    suggested = list(dict.fromkeys(by_key[k] for k in close))[:4]
    hint = f"; did you mean {', '.join(suggested)}?" if suggested else ""
    raise TargetNotFound(f"no function {spec!r} in the repository{hint}")


def _matches(t: Target, spec: str) -> bool:
    if "::" in spec:                                  # path/to/file.py::Class.method
        path, _, qual = spec.partition("::")
        return Path(path).as_posix().lstrip("./") == t.file and qual == t.qualname
    if ":" in spec:                                   # module:Class.method
        module, _, qual = spec.partition(":")
        return module == t.module and qual == t.qualname
    return spec in (t.qualname, t.func_name, t.name)  # func, Class.method, pkg.mod.func


def find_in_text(text: str, rel_path: str, qualname: str) -> Target | None:
    """Re-locate a definition in another version of its file (e.g. HEAD's)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return next((t for t in targets_in_file(Path(tmp), rel_path) if t.qualname == qualname), None)


def replace_definition(text: str, target: Target, new_source: str, imports: tuple[str, ...] = ()) -> str:
    """The module text with target's definition replaced by new_source (dedented), and the
    module-level lines it needs (`imports`) added where missing (see add_imports)."""
    data = text.encode()
    body = textwrap.indent(textwrap.dedent(new_source).rstrip() + "\n", target.indent)
    tail = data[target.end_byte:]
    if tail.startswith(b"\n"):
        tail = tail[1:]
    out = data[:target.start_byte].decode() + body + tail.decode()
    missing = [imp for imp in imports if imp.strip() and imp.strip() not in {i.strip() for i in target.imports}]
    return add_imports(out, missing) if missing else out


def _is_import(line: str) -> bool:
    import ast
    try:
        body = ast.parse(line.strip()).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], (ast.Import, ast.ImportFrom))


def add_imports(text: str, imports: list[str]) -> str:
    """Import statements go after the module's docstring and __future__ imports; other
    lines (a module-level constant a rewrite needs, such as a compiled regex) go after the
    module's last top-level import, so the names they use are bound, and only when the
    module does not already hold that exact line."""
    import ast

    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    present = {line.strip() for line in lines}
    statements = [imp.strip() + "\n" for imp in imports if _is_import(imp)]
    definitions = [imp.strip() + "\n" for imp in imports if not _is_import(imp) and imp.strip() not in present]
    insert_at = 0   # line index after the docstring and __future__ imports
    for node in tree.body:
        is_doc = isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) \
            and isinstance(node.value.value, str)
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if (is_doc and insert_at == 0) or is_future:
            insert_at = node.end_lineno
        else:
            break
    after_imports = insert_at   # after the last top-level import (or try/if block holding one)
    for node in tree.body:
        main_guard = isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, (ast.Try, ast.If)) and not main_guard
                and any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(node))):
            after_imports = max(after_imports, node.end_lineno)
    if definitions:     # a block of its own: a blank line before, and after unless one follows
        before, after = lines[:after_imports], lines[after_imports:]
        definitions = (["\n"] if before and before[-1].strip() else []) + definitions \
            + (["\n"] if after and after[0].strip() else [])
    return "".join(lines[:insert_at] + statements + lines[insert_at:after_imports] + definitions
                   + lines[after_imports:])
