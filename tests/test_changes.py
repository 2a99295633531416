"""changes.changed_targets on real git repositories."""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from optimizer.changes import changed_targets
from optimizer.errors import BadRevision
from optimizer.target import index_repo

CORE = '''
import os


def alpha(x):
    """Alpha."""
    # double it
    return x * 2


def beta(items):
    def inner(v):
        return v + 1
    return [inner(i) for i in items]


class Stack:
    def __init__(self):
        self.items = []

    @property
    def size(self):
        return len(self.items)

    def push_all(self, values):
        for v in values:
            self.items.append(v)


LIMIT = 10
'''


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, text=True, capture_output=True).stdout


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository with pkg/core.py and a test file, committed and tagged 'base'."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "commit.gpgsign", "false")
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/core.py", CORE)
    write(root, "tests/test_core.py", "from pkg.core import alpha\n\n\ndef test_alpha():\n    assert alpha(1) == 2\n")
    commit(root, "initial")
    git(root, "tag", "base")
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def names(targets) -> list[str]:
    return [f"{t.file}::{t.qualname}" for t in targets]


def test_nothing_changed_selects_nothing(repo):
    assert changed_targets(repo, "base") == []
    assert changed_targets(repo, "HEAD") == []


def test_modified_body_is_selected(repo):
    edit(repo, "pkg/core.py", "return x * 2", "return x + x")
    commit(repo)
    assert names(changed_targets(repo, "base")) == ["pkg/core.py::alpha"]


def test_docstring_comment_and_whitespace_changes_select_nothing(repo):
    edit(repo, "pkg/core.py", '"""Alpha."""', '"""Alpha, twice as large.\n\n    More words.\n    """')
    edit(repo, "pkg/core.py", "# double it", "# times two, as before")
    edit(repo, "pkg/core.py", "self.items.append(v)", "self.items.append( v )  # one by one")
    edit(repo, "pkg/core.py", "return len(self.items)", "\n        return len(self.items)")
    commit(repo)
    assert changed_targets(repo, "base") == []


def test_new_function_is_selected_a_stub_is_not(repo):
    edit(repo, "pkg/core.py", "LIMIT = 10", "LIMIT = 11\n\n\ndef gamma(n):\n    return n ** 2\n\n\n"
                                            "def todo():\n    \"\"\"Later.\"\"\"\n    ...\n")
    write(repo, "pkg/extra.py", "def delta(s):\n    return s.upper()\n")
    commit(repo)
    assert names(changed_targets(repo, "base")) == ["pkg/core.py::gamma", "pkg/extra.py::delta"]


def test_nested_function_change_selects_its_container(repo):
    edit(repo, "pkg/core.py", "return v + 1", "return v + 2")
    commit(repo)
    assert names(changed_targets(repo, "base")) == ["pkg/core.py::beta"]


def test_methods_are_selected_as_class_dot_method_in_file_order_once(repo):
    edit(repo, "pkg/core.py", "for v in values:\n            self.items.append(v)",
         "self.items.extend(values)")
    edit(repo, "pkg/core.py", "@property\n    def size", "@staticmethod\n    def size")
    edit(repo, "pkg/core.py", "self.items = []", "self.items: list = []")
    commit(repo)
    assert names(changed_targets(repo, "base")) == \
        ["pkg/core.py::Stack.__init__", "pkg/core.py::Stack.size", "pkg/core.py::Stack.push_all"]


def test_deleted_lines_select_their_function(repo):
    edit(repo, "pkg/core.py", "    def inner(v):\n        return v + 1\n", "")          # inside, pure deletion
    edit(repo, "pkg/core.py", "    # double it\n    return x * 2\n", "")              # at the end, pure deletion
    commit(repo)
    edit(repo, "pkg/core.py", "        self.items = []\n", "        pass\n")          # uncommitted replacement
    assert names(changed_targets(repo, "base")) == \
        ["pkg/core.py::alpha", "pkg/core.py::beta", "pkg/core.py::Stack.__init__"]


def test_a_renamed_file_is_compared_with_its_old_version(repo):
    git(repo, "mv", "pkg/core.py", "pkg/the core.py")
    edit(repo, "pkg/the core.py", "return v + 1", "return v + 2")
    commit(repo)
    assert names(changed_targets(repo, "base")) == ["pkg/the core.py::beta"]


def test_uncommitted_and_untracked_changes_count(repo):
    edit(repo, "pkg/core.py", "return x * 2", "return x << 1")          # unstaged
    write(repo, "pkg/staged.py", "def s(a):\n    return a\n")
    git(repo, "add", "pkg/staged.py")                                     # staged, new
    write(repo, "pkg/fresh.py", "def f(a):\n    return -a\n")            # untracked
    assert names(changed_targets(repo, "HEAD")) == \
        ["pkg/core.py::alpha", "pkg/fresh.py::f", "pkg/staged.py::s"]


def test_tests_vendored_and_generated_files_are_not_selected(repo):
    edit(repo, "tests/test_core.py", "assert alpha(1) == 2", "assert alpha(2) == 4")
    write(repo, "pkg/test_more.py", "def test_x():\n    assert 1\n")
    write(repo, "pkg/conftest.py", "def fixture_maker():\n    return 1\n")
    write(repo, "pkg/_vendor/lib.py", "def vendored():\n    return 1\n")
    write(repo, "third_party/lib.py", "def theirs():\n    return 1\n")
    write(repo, "pkg/proto_pb2.py", "# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
                                    "def message():\n    return 1\n")
    commit(repo)
    assert changed_targets(repo, "base") == []
    assert changed_targets(repo, "base", index=index_repo(repo)) == []


def test_change_since_a_branch_uses_the_merge_base(repo):
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo, "pkg/core.py", "return x * 2", "return x + x")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    edit(repo, "pkg/core.py", "return len(self.items)", "return self.items.__len__()")
    commit(repo)                                    # main moved on: not part of the feature's change
    git(repo, "checkout", "-q", "feature")
    assert names(changed_targets(repo, "main")) == ["pkg/core.py::alpha"]


def test_given_index_is_used(repo):
    edit(repo, "pkg/core.py", "return x * 2", "return x + x")
    index = index_repo(repo)
    assert names(changed_targets(repo, "base", index=index)) == ["pkg/core.py::alpha"]
    assert changed_targets(repo, "base", index=[t for t in index if t.qualname != "alpha"]) == []


def test_repo_in_a_subfolder_of_the_git_root(tmp_path):
    root = tmp_path / "mono"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    write(root, "services/api/app/core.py", CORE)
    write(root, "other/core.py", CORE)
    commit(root, "initial")
    edit(root, "services/api/app/core.py", "return x * 2", "return x + x")
    edit(root, "other/core.py", "return v + 1", "return v + 2")
    write(root, "services/api/app/new.py", "def made():\n    return 1\n")
    sub = root / "services" / "api"
    found = changed_targets(sub, "HEAD")
    assert names(found) == ["app/core.py::alpha", "app/new.py::made"]
    assert found[0].module == "app.core"
    assert names(changed_targets(sub, "HEAD", index=index_repo(sub))) == names(found)


def test_unknown_revision_raises_bad_revision(repo):
    for since in ("no-such-branch", "deadbeef" * 5, "--all", ""):
        with pytest.raises(BadRevision) as info:
            changed_targets(repo, since)
        assert "\n" not in str(info.value)


def test_folder_outside_git_raises_bad_revision(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "m.py").write_text("def f():\n    return 1\n")
    with pytest.raises(BadRevision, match="not inside a git repository"):
        changed_targets(plain, "HEAD")
    with pytest.raises(BadRevision, match="not inside a git repository"):
        changed_targets(tmp_path / "missing", "HEAD")


def test_diff_hunks_finds_every_hunk_of_every_file_with_context(repo):
    """With context lines, each hunk's lines must be counted once per side, or the parser
    skips past the next hunk's header (and the next file's)."""
    from optimizer.changes import diff_hunks

    core = repo / "pkg" / "core.py"
    lines = ["def f%d(x):\n    return x + %d\n\n\n" % (i, i) for i in range(40)]
    core.write_text("".join(lines))
    commit(repo, "forty functions")
    changed = list(lines)
    for i in (2, 20, 38):                       # three hunks, far apart
        changed[i] = changed[i].replace(f"x + {i}", f"x - {i}")
    core.write_text("".join(changed))
    (repo / "tests" / "test_core.py").write_text((repo / "tests" / "test_core.py").read_text() + "# more\n")
    hunks = diff_hunks(repo, "HEAD")
    assert hunks["pkg/core.py"] == [(7, 13), (79, 85), (151, 157)]   # line 10, 82, 154, with 3 lines around
    assert list(hunks) == ["pkg/core.py", "tests/test_core.py"]
    assert [changed_line for a, b in hunks["pkg/core.py"] for changed_line in range(a, b + 1)
            if "x - " in core.read_text().splitlines()[changed_line - 1]] == [10, 82, 154]
