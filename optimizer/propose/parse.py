"""Turn a model's free-text answer into (definition source, imports).

Models wrap code in prose, send several blocks (often the original first and
the rewrite last), forget the fence, or hand a method back inside its class.
We find the block that defines the target, locate the definition with `ast`
and slice the original text (so comments survive), dedented to column 0.
"""
from __future__ import annotations

import ast
import re
import textwrap

_FENCE = re.compile(r"^\s*```+\s*([\w.+-]*)\s*$")
_CLOSE = re.compile(r"^\s*```+\s*$")
_PY_TAGS = {"", "python", "py", "python3", "py3"}

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


class ParseError(Exception):
    """The answer holds no usable definition; the message is the plain reason."""

    @property
    def reason(self) -> str:
        return str(self)


def parse_answer(answer: str, func_name: str) -> tuple[str, tuple[str, ...]]:
    """Return (definition source at column 0, decorators included; top-level import statements)."""
    blocks = _code_blocks(answer)
    if blocks is None:
        raise ParseError("no code block")

    syntax_error = None
    for code in blocks:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            # Remember why the block meant as the answer failed, rather than say "no definition".
            if syntax_error is None and re.search(rf"\bdef\s+{re.escape(func_name)}\b", code):
                syntax_error = f"syntax error on line {exc.lineno}: {exc.msg}"
            continue
        found = _find(tree, func_name)
        if found is None:
            continue
        node, module_level = found
        _refuse_extras(tree, node if module_level else None, func_name)
        return _slice(code, node), _imports(tree, code)

    if syntax_error:
        raise ParseError(syntax_error)
    raise ParseError(f"no definition of {func_name} in the answer")


def _code_blocks(answer: str) -> list[str] | None:
    """Candidate code, most preferred first: complete python blocks last-to-first, then an
    unterminated (truncated) one. A fence-less answer is bare code if it has a `def` line.
    None when there is nothing that could be code."""
    complete: list[str] = []
    unclosed: list[str] = []
    lines = answer.splitlines()
    i = 0
    saw_fence = False
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        saw_fence = True
        tag = m.group(1).lower()
        j = i + 1
        while j < len(lines) and not _CLOSE.match(lines[j]):
            j += 1
        body = _dedent("\n".join(lines[i + 1:j]))
        if tag in _PY_TAGS:
            (complete if j < len(lines) else unclosed).append(body)
        i = j + 1
    if saw_fence:
        blocks = complete[::-1] + unclosed
        return blocks or None
    # No fence at all: the answer may be bare code, perhaps after a line of prose. Without
    # a `def` line it is prose (which may well parse: "junk" is a valid expression).
    code = _dedent(answer)
    if not re.search(r"^\s*(async\s+)?def\s", code, re.M):
        return None
    start = re.search(r"^(import|from|@|def|async\s+def|class)\b", code, re.M)
    return [code] if start is None or start.start() == 0 else [code[start.start():], code]


def _dedent(code: str) -> str:
    return textwrap.dedent(code).strip("\n") + "\n"


def _find(tree: ast.Module, func_name: str) -> tuple[ast.AST, bool] | None:
    """The last definition of func_name at module level, else inside a top-level class."""
    top = [n for n in tree.body if isinstance(n, _FUNCS) and n.name == func_name]
    if top:
        return top[-1], True
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef):
            inner = [n for n in cls.body if isinstance(n, _FUNCS) and n.name == func_name]
            if inner:
                return inner[-1], False
    return None


def _refuse_extras(tree: ast.Module, target: ast.AST | None, func_name: str) -> None:
    """Helpers would be dropped silently when only the target is spliced in, and the
    candidate would then fail with a NameError far from the cause; say so now."""
    funcs = [n.name for n in tree.body if isinstance(n, _FUNCS) and n.name != func_name]
    if funcs:
        names = ", ".join(dict.fromkeys(funcs))
        raise ParseError(f"answer defines other functions: {names}; only the target's definition can be replaced")
    others: list[str] = []
    for n in tree.body:
        if isinstance(n, ast.ClassDef) and target is not None:
            others.append(n.name)    # a class next to a module-level target is a helper
        elif isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            others += [t.id for t in targets if isinstance(t, ast.Name)]
    if others:
        names = ", ".join(dict.fromkeys(others))
        raise ParseError(f"answer defines other top-level names: {names}; only the target's definition can be replaced")


def _slice(code: str, node: ast.AST) -> str:
    lines = code.splitlines()
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    text = "\n".join(lines[first - 1:node.end_lineno])
    # A method extracted from its class wrapper is indented by the def's column.
    indent = lines[node.lineno - 1][:node.col_offset]
    if indent:
        text = "\n".join(ln[len(indent):] if ln.startswith(indent) else ln for ln in text.split("\n"))
    return text + "\n"


def _imports(tree: ast.Module, code: str) -> tuple[str, ...]:
    out = []
    for n in tree.body:
        if isinstance(n, ast.ImportFrom) and n.module == "__future__":
            continue  # only legal at the top of a module; the target module decides those
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            out.append(ast.get_source_segment(code, n))
    return tuple(dict.fromkeys(out))
