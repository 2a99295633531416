import subprocess

from optimizer.target import index_repo, replace_definition, resolve
from optimizer.workspace import Workspace, commit_to_branch, git_root, is_dirty, unified_diff
from repos import SLOW_REPO, make_repo, run_git, tree_state

NEW = "def total(xs):\n    return sum(xs, 0)\n"


def _edit(repo):
    t = resolve(index_repo(repo), "total")
    original = (repo / t.file).read_text()
    return t, original, replace_definition(original, t, NEW)


def test_workspace_is_a_private_copy(tmp_path):
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    ws = Workspace(repo)
    try:
        assert (ws.base / "pkg/core.py").read_text() == (repo / "pkg/core.py").read_text()
        assert not (ws.base / ".git").exists()
        t, _, new = _edit(repo)
        cand = ws.candidate_copy(t, new)
        assert "sum(xs, 0)" in (cand / "pkg/core.py").read_text()
        assert "sum(xs, 0)" not in (ws.base / "pkg/core.py").read_text()
    finally:
        ws.close()
    assert not ws.root.exists()


def test_diff_is_accepted_by_git_apply(tmp_path):
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    t, original, new = _edit(repo)
    patch = tmp_path / "x.patch"
    patch.write_text(unified_diff(t.file, original, new))
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=repo, check=True)


def test_diff_without_final_newline(tmp_path):
    repo = make_repo(tmp_path / "r", {"m.py": "def f():\n    return 1"})
    patch = tmp_path / "x.patch"
    patch.write_text(unified_diff("m.py", "def f():\n    return 1", "def f():\n    return 2"))
    subprocess.run(["git", "apply", str(patch)], cwd=repo, check=True)
    assert (repo / "m.py").read_text() == "def f():\n    return 2"


def test_commit_to_branch_leaves_tree_index_and_head_alone(tmp_path):
    repo_path = make_repo(tmp_path / "r", SLOW_REPO)
    (repo_path / "notes.txt").write_text("untracked work in progress\n")
    before = tree_state(repo_path)
    head = run_git(repo_path, "rev-parse", "HEAD")
    t, _, new = _edit(repo_path)
    repo = git_root(repo_path)[0]
    branch, reused = commit_to_branch(repo, t.file, new, "optimize: total", "total")
    assert (branch, reused) == ("optimize/total", False)
    # a rerun with the same edit reuses the branch; a different edit gets the next name
    assert commit_to_branch(repo, t.file, new, "again", "total") == ("optimize/total", True)
    assert commit_to_branch(repo, t.file, new + "\n", "other", "total") == ("optimize/total-2", False)
    assert tree_state(repo_path) == before
    assert run_git(repo_path, "rev-parse", "HEAD") == head
    assert run_git(repo_path, "show", f"{branch}:pkg/core.py") == new
    assert run_git(repo_path, "log", "-1", "--format=%P", branch).strip() == head.strip()
    changed = run_git(repo_path, "diff", "--name-only", "HEAD", branch).split()
    assert changed == ["pkg/core.py"]


def test_dirty_detection(tmp_path):
    repo_path = make_repo(tmp_path / "r", SLOW_REPO)
    repo = git_root(repo_path)[0]
    assert not is_dirty(repo, "pkg/core.py")
    (repo_path / "pkg/core.py").write_text("# edited\n")
    assert is_dirty(repo, "pkg/core.py")
    (repo_path / "pkg/new.py").write_text("x = 1\n")
    assert is_dirty(repo, "pkg/new.py")


def test_plain_folder_is_not_a_git_repo(tmp_path):
    folder = make_repo(tmp_path / "p", SLOW_REPO, git=False)
    repo, prefix, why = git_root(folder)
    assert repo is None and why == f"{folder} is not inside a git repository"


def test_a_folder_inside_a_git_repository_maps_to_its_root(tmp_path):
    root = make_repo(tmp_path / "r", {"lib/" + k: v for k, v in SLOW_REPO.items()})
    repo, prefix, why = git_root(root / "lib")
    assert repo is not None and prefix == "lib/" and why == ""
