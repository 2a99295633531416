"""Turn a model's free-text answer into (definition source, imports).

Three answer formats are understood; prose around any of them is ignored:

1. The whole function, fenced or bare. Models send several blocks (often the
   original first and the rewrite last), forget the fence, or hand a method back
   inside its class. We find the block that defines the target, locate the
   definition with `ast` and slice its text (so comments survive), dedented to
   column 0.
2. SEARCH/REPLACE blocks (aider style), fenced or not, applied in order to the
   original definition.
3. A unified diff (```diff fenced, or bare text with `---`/`+++`/`@@` lines)
   against the function or against its module. Line numbers are ignored: each
   hunk is located by its context and removed lines. Imports added at the
   module's top join the imports; any other change outside the function is
   refused.

Edits (2 and 3) need the original definition. A SEARCH text or a hunk matches
exactly if it can, else ignoring trailing whitespace and a uniform difference in
indentation (the new text is then re-indented by the same offset). The edited
text then goes through the same normalisation as a whole-function answer.
Anything unusable raises ParseError with a plain reason, never another exception.
"""
from __future__ import annotations

import ast
import os
import re
import textwrap

_FENCE = re.compile(r"^\s*```+\s*([\w.+-]*)\s*$")
_CLOSE = re.compile(r"^\s*```+\s*$")
_PY_TAGS = {"", "python", "py", "python3", "py3"}
_DIFF_TAGS = {"diff", "patch", "udiff"}

_SEARCH = re.compile(r"^\s*<{5,9}\s*SEARCH\s*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9}\s*REPLACE\s*$")

_NUMBERED_HUNK = re.compile(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@")
_GIT_INDEX = re.compile(r"^index [0-9a-f]+\.\.[0-9a-f]+")
_BULLET = re.compile(r"^[-+*] \S")
_DEFINES = re.compile(r"^\s*(?:async\s+def|def|class)\s+(\w+)")

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)

# How an edit's text maps onto the original's: strip the first prefix, add the second.
Shift = tuple[str, str]
Hunk = list[tuple[str, str]]   # (" " | "-" | "+", line text without its marker)


class ParseError(Exception):
    """The answer holds no usable definition; the message is the plain reason."""

    @property
    def reason(self) -> str:
        return str(self)


def parse_answer(answer: str, func_name: str, original: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Return (definition source at column 0, decorators included; top-level import statements).

    `original` is the original definition's source at column 0 (decorators included); the
    SEARCH/REPLACE and diff formats are applied to it."""
    if any(_SEARCH.match(line) for line in answer.splitlines()):
        if original is None:
            raise ParseError("SEARCH/REPLACE needs the original")
        edited = _apply_search_replace(_search_replace_blocks(answer), original)
        return _normalise_edit(edited, func_name, diff=False)

    hunks = _diff_hunks(answer)
    if hunks is not None:
        if original is None:
            try:    # a caller without the original may still get a whole function sent alongside
                return _whole_function(answer, func_name)
            except ParseError:
                raise ParseError("a diff needs the original") from None
        return _normalise_edit(_apply_diff(hunks, original, func_name), func_name, diff=True)

    return _whole_function(answer, func_name)


# --- whole-function answers ---------------------------------------------------------------

def _whole_function(answer: str, func_name: str) -> tuple[str, tuple[str, ...]]:
    blocks = _code_blocks(answer)
    if blocks is None:
        raise ParseError("no code block")

    syntax_error = None
    for code in blocks:
        try:
            tree = _parse(code)
        except SyntaxError as exc:
            # Remember why the block meant as the answer failed, rather than say "no definition".
            if syntax_error is None and re.search(rf"\bdef\s+{re.escape(func_name)}\b", code):
                where = f" on line {exc.lineno}" if exc.lineno else ""
                syntax_error = f"syntax error{where}: {exc.msg}"
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


def _fences(lines: list[str]) -> list[tuple[int, int, str]]:
    """(opening line, closing line, tag) of each fenced block; the closing line is
    len(lines) when the block is not closed (a truncated answer)."""
    out = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not _CLOSE.match(lines[j]):
            j += 1
        out.append((i, j, m.group(1).lower()))
        i = j + 1
    return out


def _code_blocks(answer: str) -> list[str] | None:
    """Candidate code, most preferred first: complete python blocks last-to-first, then an
    unterminated (truncated) one. A fence-less answer is bare code if it has a `def` line.
    None when there is nothing that could be code."""
    lines = answer.splitlines()
    fences = _fences(lines)
    if fences:
        complete: list[str] = []
        unclosed: list[str] = []
        for i, j, tag in fences:
            if tag in _PY_TAGS:
                (complete if j < len(lines) else unclosed).append(_dedent("\n".join(lines[i + 1:j])))
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


def _parse(code: str) -> ast.Module:
    """ast.parse, with every way of failing on garbage reported as a SyntaxError."""
    try:
        return ast.parse(code)
    except SyntaxError:
        raise
    except (ValueError, MemoryError, RecursionError) as exc:
        # null bytes or lone surrogates (ValueError), nesting too deep for the parser
        raise SyntaxError(str(exc) or "source too complex to parse") from None


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


# --- edits: matching text against the original ----------------------------------------------

def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _shift(needle: list[str], hay: list[str]) -> Shift | None:
    """How the lines of needle map onto the same number of lines of hay when they differ
    only by trailing whitespace and a uniform indentation offset; None if they don't."""
    shift = None
    for a, b in zip(needle, hay):
        a, b = a.rstrip(), b.rstrip()
        if not a or not b:
            if a or b:
                return None
            continue
        if shift is None:
            ia, ib = _indent(a), _indent(b)
            common = len(os.path.commonprefix([ia, ib]))
            shift = (ia[common:], ib[common:])
        strip, add = shift
        if not a.startswith(strip) or add + a[len(strip):] != b:
            return None
    return shift or ("", "")


def _reindent(line: str, shift: Shift) -> str:
    if not line.strip():
        return ""
    strip, add = shift
    return add + line[len(os.path.commonprefix([line, strip])):]


def _locate(needle: list[str], hay: list[str]) -> list[tuple[int, Shift]]:
    """Where needle occurs in hay as whole lines: exact matches if there are any, else the
    whitespace-tolerant ones."""
    spots = range(len(hay) - len(needle) + 1)
    exact = [(p, ("", "")) for p in spots if hay[p:p + len(needle)] == needle]
    if exact:
        return exact
    tolerant = [(p, _shift(needle, hay[p:p + len(needle)])) for p in spots]
    return [(p, s) for p, s in tolerant if s is not None]


def _trim_blank(lines: list[str]) -> list[str]:
    lo, hi = 0, len(lines)
    while lo < hi and not lines[lo].strip():
        lo += 1
    while hi > lo and not lines[hi - 1].strip():
        hi -= 1
    return lines[lo:hi]


def _normalise_edit(lines: list[str], func_name: str, diff: bool) -> tuple[str, tuple[str, ...]]:
    """The edited text as a whole-function answer: it must parse and define func_name at
    top level; imports it gained before (or after) the def go to the imports."""
    code = "\n".join(lines).strip("\n") + "\n"
    try:
        tree = _parse(code)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise ParseError(f"the edited function does not parse: {exc.msg}{where}") from None
    top = [n for n in tree.body if isinstance(n, _FUNCS) and n.name == func_name]
    if not top:
        raise ParseError(f"the edited code does not define {func_name}")
    node = top[-1]
    if diff:
        if any(n is not node and not isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body):
            raise ParseError(f"the diff changes code outside {func_name}")
    else:
        _refuse_extras(tree, node, func_name)
    return _slice(code, node), _imports(tree, code)


# --- SEARCH/REPLACE blocks ----------------------------------------------------------------

def _search_replace_blocks(answer: str) -> list[tuple[list[str], list[str]]]:
    lines = answer.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if not _SEARCH.match(lines[i]):
            i += 1
            continue
        n = len(blocks) + 1
        j = i + 1
        while j < len(lines) and not _DIVIDER.match(lines[j]):
            if _SEARCH.match(lines[j]) or _REPLACE.match(lines[j]):
                raise ParseError(f"SEARCH/REPLACE block {n} has no ======= line")
            j += 1
        k = j + 1
        while k < len(lines) and not _REPLACE.match(lines[k]):
            if _SEARCH.match(lines[k]):
                raise ParseError(f"SEARCH/REPLACE block {n} has no >>>>>>> REPLACE line")
            k += 1
        if k >= len(lines):
            raise ParseError(f"SEARCH/REPLACE block {n} is incomplete")
        blocks.append((_section(lines[i + 1:j]), _section(lines[j + 1:k])))
        i = k + 1
    return blocks


def _section(lines: list[str]) -> list[str]:
    """A SEARCH or REPLACE text without outer blank lines and without a code fence some
    models put inside the markers."""
    lines = _trim_blank(lines)
    while lines and _FENCE.match(lines[0]):
        lines = _trim_blank(lines[1:])
    while lines and _CLOSE.match(lines[-1]):
        lines = _trim_blank(lines[:-1])
    return lines


def _apply_search_replace(blocks: list[tuple[list[str], list[str]]], original: str) -> list[str]:
    """Apply the blocks in order, each to the text the previous ones left."""
    current = original.splitlines()
    for n, (search, replace) in enumerate(blocks, 1):
        if not search:
            raise ParseError(f"SEARCH block {n} is empty")
        found = _locate(search, current)
        if not found:
            raise ParseError(f"SEARCH block {n} does not match the original: {_printable(search[0])}")
        if len(found) > 1:
            raise ParseError(f"SEARCH block {n} matches the original in several places")
        at, shift = found[0]
        current[at:at + len(search)] = [_reindent(line, shift) for line in replace]
    return current


def _printable(line: str) -> str:
    """A line of the answer fit for a reason: short, and no lone surrogates to trip an encoder."""
    return line.strip()[:80].encode("utf-8", "replace").decode("utf-8")


# --- unified diffs ------------------------------------------------------------------------

def _diff_hunks(answer: str) -> list[Hunk] | None:
    """The hunks of the diff(s) in the answer, in order; None when the answer holds no diff.
    A fenced diff is a ```diff block or a block made only of diff lines; failing that, bare
    diff text outside the fences counts if it has hunk headers."""
    lines = answer.splitlines()
    fences = _fences(lines)
    hunks: list[Hunk] = []
    fenced = False
    for i, j, tag in fences:
        body = lines[i + 1:j]
        if tag not in _DIFF_TAGS and not _all_diff_lines(body):
            continue
        if j >= len(lines):
            raise ParseError("the diff block is not closed (truncated answer?)")
        fenced = True
        indent = _indent(lines[i])
        hunks += _hunks([ln[len(indent):] if ln.startswith(indent) else ln for ln in body])
    if fenced:
        return hunks

    outside = list(lines)
    for i, j, _ in fences:
        outside[i:j + 1] = ["```"] * len(outside[i:j + 1])   # keeps numbering; ends any bare run
    headers = any(ln.startswith(("--- ", "+++ ")) for ln in outside)
    if not any(_NUMBERED_HUNK.match(ln) or (headers and ln.startswith("@@")) for ln in outside):
        return None
    i = 0
    while i < len(outside):
        following = outside[i + 1] if i + 1 < len(outside) else ""
        if not (outside[i].startswith(("@@", "diff --git"))
                or (outside[i].startswith("--- ") and following.startswith("+++ "))):
            i += 1
            continue
        j = i + 1
        while j < len(outside) and _bare_diff_line(outside, j):
            j += 1
        hunks += _hunks(outside[i:j])
        i = j
    return hunks


def _all_diff_lines(body: list[str]) -> bool:
    """Every line of a fenced block reads as diff, and some line adds, removes or heads a hunk.
    (An indented method is all context lines: not a diff.)"""
    marks = ("+", "-", "@@")
    return (all(not ln.strip() or ln.startswith((" ", "\\", "diff --git", "index ") + marks) for ln in body)
            and any(ln.startswith(marks) for ln in body))


def _bare_diff_line(lines: list[str], j: int) -> bool:
    line = lines[j]
    if not line:
        # A blank line is blank context, unless prose (or a bullet list) follows.
        following = next((ln for ln in lines[j + 1:] if ln.strip()), "")
        return bool(following) and _bare_diff_line([following], 0) and not _BULLET.match(following)
    return line.startswith((" ", "+", "-", "@@", "\\", "diff --git")) or bool(_GIT_INDEX.match(line))


def _hunks(body: list[str]) -> list[Hunk]:
    """Split diff text into hunks. Without any `@@` line the whole text is one hunk; in a
    fence, a line without a marker is a context line that lost its leading space."""
    headed = any(ln.startswith("@@") for ln in body)
    hunks: list[Hunk] = []
    current: Hunk | None = None
    if not headed:
        current = []
        hunks.append(current)
    i = 0
    while i < len(body):
        line = body[i]
        following = body[i + 1] if i + 1 < len(body) else ""
        if line.startswith("@@"):
            current = []
            hunks.append(current)
        elif line.startswith("--- ") and following.startswith("+++ "):
            i += 1                                  # a file header: the next @@ starts a hunk
            current = None if headed else current
        elif line.startswith("diff --git") or _GIT_INDEX.match(line):
            current = None if headed else current
        elif current is None or line.startswith("\\"):
            pass                                    # text before the first hunk; "\ No newline"
        elif line[:1] in ("+", "-", " "):
            current.append((line[0], line[1:]))
        else:
            current.append((" ", line))
        i += 1
    out = []
    for hunk in hunks:
        while hunk and hunk[0][0] == " " and not hunk[0][1].strip():
            hunk = hunk[1:]
        while hunk and hunk[-1][0] == " " and not hunk[-1][1].strip():
            hunk = hunk[:-1]
        if any(op != " " for op, _ in hunk):
            out.append(hunk)
    return out


def _apply_diff(hunks: list[Hunk], original: str, func_name: str) -> list[str]:
    """Apply the hunks in order to the original definition. A hunk may reach beyond the
    function (a diff against the module): context there is dropped, lines added there are
    kept before (or after) the definition for the final check to sort out, removed lines
    there are a change outside the function."""
    if not hunks:
        raise ParseError("the diff changes nothing")
    current = original.splitlines()
    prelude: list[str] = []
    cursor = 0
    for n, hunk in enumerate(hunks, 1):
        old = [text for op, text in hunk if op != "+"]
        spot = _locate_hunk(old, current, cursor) if old else None
        if spot is None:
            prelude += _hunk_outside(hunk, n, func_name)
            continue
        offset, shift = spot             # old[k] lies at current[k + offset]
        new: list[str] = []
        k = 0
        for op, text in hunk:
            if op == "+":
                new.append(_reindent(text, shift))
                continue
            inside = 0 <= k + offset < len(current)
            if op == " " and inside:
                new.append(current[k + offset])
            elif op == "-" and not inside:
                raise ParseError(f"the diff changes code outside {func_name}")
            k += 1
        lo, hi = max(offset, 0), min(offset + len(old), len(current))
        current[lo:hi] = new
        cursor = lo + len(new)
    return prelude + current


def _locate_hunk(old: list[str], current: list[str], cursor: int) -> tuple[int, Shift] | None:
    """(offset of the hunk's old lines in current, shift). Inside the function first, the
    first match at or after the previous hunk preferred; else a hunk whose context runs past
    the function's first or last line, the largest overlap preferred."""
    found = _locate(old, current)
    if found:
        return ([f for f in found if f[0] >= cursor] or found)[0]
    best, best_overlap = None, 0
    for offset in range(1 - len(old), len(current)):
        if offset >= 0 and offset + len(old) <= len(current):
            continue                     # wholly inside: tried above
        lo, hi = max(0, -offset), min(len(old), len(current) - offset)
        part = old[lo:hi]
        if hi - lo <= best_overlap or not any(ln.strip() for ln in part):
            continue
        here = current[lo + offset:hi + offset]
        shift = ("", "") if part == here else _shift(part, here)
        if shift is not None:
            best, best_overlap = (offset, shift), hi - lo
    return best


def _hunk_outside(hunk: Hunk, n: int, func_name: str) -> list[str]:
    """A hunk that matches nowhere in the function: imports added to the module are kept
    (returned), anything else is an error saying why."""
    added = [text for op, text in hunk if op == "+"]
    removed = any(op == "-" for op, _ in hunk)
    if not removed and _only_imports(added):
        return added
    names = {m.group(1) for _, text in hunk if (m := _DEFINES.match(text))}
    module_level = not removed and all(not text[:1].isspace() for text in added if text.strip())
    if (names and func_name not in names) or module_level:
        raise ParseError(f"the diff changes code outside {func_name}")
    raise ParseError(f"diff hunk {n} does not match the original")


def _only_imports(lines: list[str]) -> bool:
    try:
        tree = _parse("\n".join(lines))
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)
