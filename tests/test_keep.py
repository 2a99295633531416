"""BranchKeeper on real git repositories: patches from the git root, branches reused
by reruns, and a plain folder's reason for having no branch."""
import subprocess

from optimizer.keep import BranchKeeper
from optimizer.model import Candidate, Measurement, Outcome, TargetResult
from optimizer.target import index_repo, replace_definition, resolve
from repos import SLOW_REPO, make_repo, run_git, tree_state
from test_loop import FAST


def result_for(folder):
    target = resolve(index_repo(folder), "unique_ordered")
    original = (folder / target.file).read_text()
    winner = Outcome(Candidate(target, "queue#0", FAST), "kept", "faster", Measurement(3.0, (2.9, 3.1), 1, 1 / 3, 10))
    return TargetResult(target, (winner,), winner, replace_definition(original, target, FAST), original)


def test_a_folder_inside_a_git_repository(tmp_path):
    root = make_repo(tmp_path / "mono", {"lib/" + k: v for k, v in SLOW_REPO.items()})
    before = tree_state(root)
    keeper = BranchKeeper(root / "lib", tmp_path / "out")
    kept = keeper.keep(result_for(root / "lib"))
    assert kept.branch == "optimize/unique_ordered" and kept.notes == ()
    assert "dict.fromkeys" in run_git(root, "show", "optimize/unique_ordered:lib/pkg/core.py")
    check = subprocess.run(["git", "apply", "--check", kept.patch_file], cwd=root, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert tree_state(root) == before
    again = keeper.keep(result_for(root / "lib"))   # a rerun with the same edit
    assert again.branch == "optimize/unique_ordered"
    assert again.notes == ("branch optimize/unique_ordered already holds this edit of pkg.core.unique_ordered: "
                           "reused",)
    assert run_git(root, "branch", "--list", "optimize/*").split() == ["optimize/unique_ordered"]


def test_a_plain_folder_says_why_there_is_no_branch(tmp_path):
    folder = make_repo(tmp_path / "plain", SLOW_REPO, git=False)
    kept = BranchKeeper(folder, tmp_path / "out").keep(result_for(folder))
    assert kept.branch is None
    assert kept.notes == (f"no branch for pkg.core.unique_ordered: {folder} is not inside a git repository; "
                          "see the patch file",)
