"""Changed: the functions and methods a change adds or modifies, as a pull request sees it.

`changed_targets(repo, since)` diffs the merge base of `since` and HEAD against the
working tree (commits, staged and unstaged edits, untracked new files), maps every
changed line of the new side to the index's function or method containing it (a
nested function counts as its container), and keeps those whose code really changed:
the function's AST, docstrings stripped, is compared with the base's version, so
edits to comments, docstrings or whitespace alone select nothing. Tests, vendored
and generated files are never selected.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from .errors import BadRevision
from .model import Target
from .target import SKIP_DIRS, is_test_path, targets_in_file

# Directory names (or parts of them) that hold someone else's code.
_VENDOR_DIRS = {"third_party", "third-party", "site-packages", "build", "dist", ".venv"}
# What a generated file says in its first lines.
_GENERATED = re.compile(rb"@generated|\bauto-?generated\b|\bautomatically generated\b|\bgenerated (by|from|with)\b"
                        rb"|\bcode generated\b|\bdo not edit\b", re.IGNORECASE)
_GENERATED_LINES = 5
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def changed_targets(repo: Path, since: str, index: list[Target] | None = None) -> list[Target]:
    """The functions and methods (index Targets, `repo`-relative) whose definitions the change
    from `git merge-base since HEAD` to the working tree adds or modifies, in file order.

    `index` is `target.index_repo(repo)` when the caller has it; without it only the changed
    files are indexed. BadRevision when `repo` is not in a git work tree or `since` does not
    name a commit with a merge base with HEAD."""
    git_repo, sub = _open(Path(repo))
    base = _merge_base(git_repo, since)

    changes = {path: (old, lines) for path, (old, lines, _) in _diff(git_repo, base, sub).items()}
    for path in _untracked(git_repo, sub):           # new path -> (old path, changed lines or None: all)
        changes.setdefault(path, (path, None))

    root = Path(repo)
    by_file: dict[str, list[Target]] = defaultdict(list)
    if index is not None:
        for t in index:
            by_file[t.file].append(t)

    base_tree = git_repo.commit(base).tree
    selected: list[Target] = []
    for git_path, (old_path, lines) in changes.items():
        rel = git_path[len(sub) + 1:] if sub else git_path
        if not rel.endswith(".py") or _skipped(root, rel):
            continue
        if index is None:
            if not _indexable(rel):
                continue
            try:
                by_file[rel] = targets_in_file(root, rel)
            except (OSError, UnicodeDecodeError):
                continue
        targets = sorted(by_file.get(rel, ()), key=lambda t: t.start_line)
        touched = [t for t in targets
                   if lines is None or any(t.start_line <= n <= t.end_line for n in lines)]
        if not touched:
            continue
        new_defs = _definitions((root / rel).read_bytes())
        old_defs = _definitions(_blob(base_tree, old_path))
        selected.extend(t for t in touched if _really_changed(t, new_defs, old_defs))
    return sorted(dict.fromkeys(selected), key=lambda t: (t.file, t.start_line))


# --- git ---------------------------------------------------------------------------------

def _open(path: Path):
    """(git.Repo, `path` relative to its work tree, '/'-separated, "" for the root)."""
    from .workspace import git_root

    repo, prefix, why_not = git_root(path)
    if repo is None:
        raise BadRevision(why_not) from None
    return repo, prefix.rstrip("/")


def _git(repo, *args: str) -> bytes:
    return repo.git.execute([repo.git.GIT_PYTHON_GIT_EXECUTABLE, "-c", "core.quotePath=false",
                             "--literal-pathspecs", *args], stdout_as_string=False, strip_newline_in_stdout=False)


def _merge_base(repo, since: str) -> str:
    import git

    if not since or since.startswith("-") or any(c.isspace() for c in since):
        raise BadRevision(f"{since!r} does not name a git revision")
    try:
        commit = _git(repo, "rev-parse", "--verify", "--quiet", since + "^{commit}").decode().strip()
    except git.GitCommandError:
        raise BadRevision(f"{since!r} does not name a git revision in {repo.working_tree_dir}") from None
    try:
        return _git(repo, "merge-base", commit, "HEAD").decode().strip()
    except git.GitCommandError:
        raise BadRevision(f"{since!r} has no merge base with HEAD (no commit yet, or unrelated histories)") from None


def diff_hunks(repo: Path, since: str) -> dict[str, list[tuple[int, int]]]:
    """The new side's line ranges (first, last) of each hunk of the change, by path from the
    git root, with 3 lines of context: the lines a pull request's diff shows, where GitHub
    takes review comments. Untracked files count whole."""
    git_repo, sub = _open(Path(repo))
    base = _merge_base(git_repo, since)
    hunks = {path: ranges for path, (_, _, ranges) in _diff(git_repo, base, sub, context=3).items()}
    for path in _untracked(git_repo, sub):
        if path not in hunks:
            n = len(Path(git_repo.working_tree_dir, path).read_bytes().splitlines())
            hunks[path] = [(1, max(n, 1))]
    return hunks


def merge_base(repo: Path, since: str) -> str:
    """The commit `changed_targets` diffs from (BadRevision as it does)."""
    git_repo, _ = _open(Path(repo))
    return _merge_base(git_repo, since)


def _diff(repo, base: str, sub: str, context: int = 0) -> dict[str, tuple[str, set[int], list[tuple[int, int]]]]:
    """Each file changed from `base` to the working tree under `sub`: new path -> (its path at
    the base, the new side's line numbers that are added or modified, or that border a deletion,
    and each hunk's new-side range (first, last) with `context` lines around it)."""
    out = _git(repo, "diff", f"-U{context}", "--find-renames", "--no-color", "--no-ext-diff", "--no-textconv",
               "--ignore-submodules", "--src-prefix=a/", "--dst-prefix=b/", base, "--", sub or ".")
    changes: dict[str, tuple[str, set[int], list[tuple[int, int]]]] = {}
    old = new = None
    old_left = new_left = 0                          # lines of the current hunk still to skip, per side
    for line in out.split(b"\n"):
        if old_left > 0 or new_left > 0:
            # a context line counts on both sides, a removed one on the old, an added one on the new
            if line.startswith(b"\\"):               # "\ No newline at end of file"
                continue
            if not line.startswith(b"+"):
                old_left -= 1
            if not line.startswith(b"-"):
                new_left -= 1
            continue
        if line.startswith(b"diff --git "):
            old = new = None
        elif line.startswith(b"--- "):
            old = _path(line[4:], b"a/")
        elif line.startswith(b"+++ "):
            new = _path(line[4:], b"b/")
            if new is not None:
                changes[new] = (old or new, set(), [])
        elif line.startswith(b"@@ "):
            m = _HUNK.match(line)
            if not m:
                continue
            old_count = int(m[2]) if m[2] is not None else 1
            start, count = int(m[3]), int(m[4]) if m[4] is not None else 1
            old_left, new_left = old_count, count
            if new is not None:
                if not context:   # with context the hunk's lines are not all changed ones
                    # a pure deletion touches the lines either side of it; the AST comparison sorts them out
                    changes[new][1].update(range(start, start + count) if count else (start, start + 1))
                if count:
                    changes[new][2].append((start, start + count - 1))
    return changes


def _path(raw: bytes, prefix: bytes) -> str | None:
    if raw.endswith(b"\t"):                          # git ends a name that has a space with a tab
        raw = raw[:-1]
    if raw == b"/dev/null":
        return None
    if raw.startswith(b'"') and raw.endswith(b'"'):  # C-quoted: special characters in the name
        raw = raw[1:-1].decode("unicode_escape").encode("latin-1")
    if raw.startswith(prefix):
        raw = raw[len(prefix):]
    return raw.decode("utf-8", "surrogateescape")


def _untracked(repo, sub: str) -> list[str]:
    out = _git(repo, "ls-files", "--others", "--exclude-standard", "-z", "--", sub or ".")
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p.endswith(b".py")]


def _blob(tree, path: str) -> bytes | None:
    try:
        return tree[path].data_stream.read()
    except (KeyError, AttributeError):
        return None


# --- what is never selected -----------------------------------------------------------------

def _indexable(rel: str) -> bool:
    """What target.index_repo would index (its python_files filter)."""
    dirs = rel.split("/")[:-1]
    return not is_test_path(rel) and not any(d in SKIP_DIRS or d.startswith(".") for d in dirs)


def _skipped(root: Path, rel: str) -> bool:
    """Tests, vendored code and generated files."""
    if is_test_path(rel):
        return True
    if any("vendor" in d or d in _VENDOR_DIRS for d in rel.split("/")[:-1]):
        return True
    try:
        with open(root / rel, "rb") as f:
            head = b"".join(f.readline() for _ in range(_GENERATED_LINES))
    except OSError:
        return True
    return bool(_GENERATED.search(head))


# --- did the code change ----------------------------------------------------------------------

def _definitions(data: bytes | None) -> dict[str, list[ast.AST]] | None:
    """Module-level functions and methods of (nested) classes by qualname, in source order,
    as target._collect finds them; None when there is no such file or it does not parse."""
    if data is None:
        return None
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    found: dict[str, list[ast.AST]] = defaultdict(list)

    def collect(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + node.name].append(node)
            elif isinstance(node, ast.ClassDef):
                collect(node.body, prefix + node.name + ".")

    collect(tree.body, "")
    return found


def _really_changed(target: Target, new_defs, old_defs) -> bool:
    """Whether the target's definition differs from the base's beyond comments, docstrings and
    whitespace; a definition new since the base counts when its body does something."""
    if new_defs is None:                             # does not parse: cannot tell a cosmetic edit
        return True
    same_name = new_defs.get(target.qualname, [])
    position = next((i for i, node in enumerate(same_name)
                     if target.start_line <= node.lineno <= target.end_line), None)
    if position is None:
        return True
    new = same_name[position]
    olds = (old_defs or {}).get(target.qualname, [])
    if position < len(olds):                         # the same-named definition at the base
        return _shape(new) != _shape(olds[position])
    # new since the base (or the base's file is missing or does not parse)
    return _has_body(new)


def _shape(node: ast.AST) -> str:
    """The definition's AST without docstrings (its own and nested ones), positions ignored."""
    import copy

    node = copy.deepcopy(node)
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body \
                and ast.get_docstring(inner, clean=False) is not None:
            inner.body = body[1:]
    return ast.dump(node)


def _has_body(node) -> bool:
    """Something besides a docstring, `pass` and `...`."""
    body = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
    return any(not (isinstance(stmt, ast.Pass)
                    or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                        and stmt.value.value is Ellipsis))
               for stmt in body)
