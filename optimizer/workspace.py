"""The isolated copies of the user's repository, and the git side of keeping an edit.

The user's tree is only ever read here, except by `apply_to_tree` (only with
--apply) and `commit_to_branch`, which writes objects and one new branch ref
through a private index file: the working tree, the index and HEAD stay as
they were.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from .model import Target

# Never copied into a workspace: version control, environments, caches.
_NOT_COPIED = {".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "node_modules", ".tox", ".nox",
               ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", ".optimize-out"}


class Workspace:
    """A temporary root holding `base/`, a pristine copy of the repo, and per-candidate copies."""

    def __init__(self, repo: Path):
        self.repo = repo.resolve()
        self.root = Path(tempfile.mkdtemp(prefix="optimize-"))
        self.base = self.root / "base"
        shutil.copytree(self.repo, self.base, symlinks=True,
                        ignore=lambda d, names: [n for n in names if n in _NOT_COPIED])
        self._count = 0
        self._base_prints: dict[str, str] = {}

    def original_text(self, target: Target) -> str:
        return (self.base / target.file).read_text()

    def candidate_copy(self, target: Target, new_text: str) -> Path:
        """A fresh copy of base with the target's file replaced: a candidate cannot
        leave anything behind for the next one."""
        self._count += 1
        dst = self.root / f"cand{self._count}"
        shutil.copytree(self.base, dst, symlinks=True, copy_function=_copy_writable)
        (dst / target.file).write_text(new_text)
        return dst

    # -- the original's copy, where no sandbox isolates files -----------------------
    # Under the process backend a candidate's process could write into `base`, from
    # which the original is timed and every later candidate is copied. So its files are
    # made read-only (which binds every user but root) and fingerprinted; after each
    # candidate the loop asks what changed, rejects the candidate and restores them.

    def protect_base(self) -> None:
        files = self._base_files()
        for path in files:
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        self._base_prints = self._fingerprint_base(files)

    def base_changes(self) -> list[str]:
        """Files of base (outside its .home) changed or removed since protect_base, and
        code added (what Python would load: .py, .pyc, .pth, extension modules). Other new
        files are left alone: the original's benchmark may write its output there."""
        if not self._base_prints:
            return []
        now = self._fingerprint_base()
        added = [k for k in now.keys() - self._base_prints.keys() if k.endswith(_CODE_SUFFIXES)]
        changed = [k for k in self._base_prints if now.get(k) != self._base_prints[k]]
        return sorted(added + changed)

    def restore_base(self, changed: list[str]) -> None:
        """Put back the user's version of each changed file (remove what was added)."""
        for rel in changed:
            dst, src = self.base / rel, self.repo / rel
            if dst.is_dir() and not dst.is_symlink():
                shutil.rmtree(dst, ignore_errors=True)
            else:
                dst.unlink(missing_ok=True)
            if rel in self._base_prints and src.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
        self.protect_base()

    def _base_files(self) -> list[Path]:
        return [p for p in self.base.rglob("*") if p.is_file() and not p.is_symlink()
                and ".home" not in p.relative_to(self.base).parts]

    def _fingerprint_base(self, files: list[Path] | None = None) -> dict[str, str]:
        prints = {}
        for path in self._base_files() if files is None else files:
            try:
                prints[str(path.relative_to(self.base))] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                prints[str(path.relative_to(self.base))] = ""
        return prints

    def scratch(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def discard(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


_CODE_SUFFIXES = (".py", ".pyc", ".pth", ".so", ".pyd")


def _copy_writable(src: str, dst: str) -> str:
    """copy2, and the copy writable by its owner (base's files may be read-only)."""
    shutil.copy2(src, dst)
    os.chmod(dst, os.stat(dst).st_mode | stat.S_IWUSR)
    return dst


def unified_diff(rel_path: str, old: str, new: str) -> str:
    """A diff that `git apply` accepts, including the no-newline-at-end marker."""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"a/{rel_path}", f"b/{rel_path}")
    out = [f"diff --git a/{rel_path} b/{rel_path}\n"]
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out) if len(out) > 1 else ""


# --- git -------------------------------------------------------------------------

def git_root(path: Path):
    """(GitPython Repo, the folder's path from the work tree's root with a trailing '/'
    or '', '') for a folder inside a git work tree; else (None, '', why not)."""
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None, "", f"{path} is not inside a git repository"
    if repo.bare or repo.working_tree_dir is None:
        return None, "", f"{path} is in a bare git repository"
    try:
        rel = path.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    except ValueError:
        return None, "", f"{path} is not inside the work tree of {repo.working_tree_dir}"
    return repo, "" if rel == "." else rel + "/", ""


def has_commit(repo) -> bool:
    try:
        repo.head.commit
    except ValueError:   # no commits yet
        return False
    return True


def is_dirty(repo, rel_path: str) -> bool:
    """Uncommitted changes to rel_path, staged or not (an untracked file counts)."""
    if rel_path in repo.untracked_files:
        return True
    return bool(repo.git.status("--porcelain", "--", rel_path).strip())


def commit_to_branch(repo, rel_path: str, new_text: str, message: str, branch_stem: str) -> tuple[str, bool]:
    """Commit new_text as rel_path on a branch off HEAD, without touching the working
    tree, the index or HEAD. Returns (the branch's name, whether an existing branch
    already held exactly this change off this HEAD and was reused)."""
    tmp = tempfile.mkdtemp(prefix="optimize-git-")
    try:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        content = os.path.join(tmp, "content")
        Path(content).write_text(new_text)
        mode = repo.git.ls_tree("HEAD", "--", rel_path).split(" ", 1)[0] or "100644"
        repo.git.read_tree("HEAD", env=env)
        blob = repo.git.hash_object("-w", "--path", rel_path, content)
        repo.git.update_index("--add", "--cacheinfo", f"{mode},{blob},{rel_path}", env=env)
        tree = repo.git.write_tree(env=env)
        same = _branch_with(repo, f"optimize/{branch_stem}", tree)
        if same:
            return same, True
        commit = repo.git.commit_tree(tree, "-p", "HEAD", "-m", message, env={**env, **_identity(repo)})
        branch = _free_branch(repo, f"optimize/{branch_stem}")
        repo.git.update_ref(f"refs/heads/{branch}", commit)
        return branch, False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _identity(repo) -> dict[str, str]:
    """The user's git identity when configured, else a neutral one (commit-tree needs one)."""
    reader = repo.config_reader()
    name = reader.get_value("user", "name", "") or "optimize"
    email = reader.get_value("user", "email", "") or "optimize@localhost"
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}


def _branch_with(repo, stem: str, tree: str) -> str:
    """The branch `stem` or `stem-N` whose tip is a child of HEAD with exactly `tree`, if any."""
    head = repo.head.commit.hexsha
    for h in repo.heads:
        if h.name == stem or (h.name.startswith(stem + "-") and h.name[len(stem) + 1:].isdigit()):
            tip = h.commit
            if tip.tree.hexsha == tree and [p.hexsha for p in tip.parents] == [head]:
                return h.name
    return ""


def _free_branch(repo, name: str) -> str:
    existing = {h.name for h in repo.heads}
    candidate, n = name, 1
    while candidate in existing:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def branch_stem(target: Target) -> str:
    return target.qualname.replace("<", "").replace(">", "")

