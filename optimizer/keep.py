"""Keepers: what keeping a target's winner means to a front end (protocols.Keeper).

`BranchKeeper` (the command line's): a patch file that `git apply` takes from the
root of the user's git repository, a commit on a branch `optimize/<name>` made
without touching the working tree, the index or HEAD, and, only with --apply, an
edit of the user's file. A rerun that finds the same edit already on its branch
reuses the branch; a different edit gets `-2`, `-3`, … and the note says which.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model import Kept, TargetResult
from .workspace import branch_stem, commit_to_branch, git_root, has_commit, is_dirty, unified_diff


@dataclass
class BranchKeeper:
    repo: Path        # the folder the run worked on (a git root or a folder inside one)
    out_dir: Path     # where patch files go
    apply: bool = False

    def keep(self, result: TargetResult) -> Kept:
        target, winner = result.target, result.winner
        candidate, m = winner.candidate, winner.measurement
        notes: list[str] = []
        git, prefix, why_not = git_root(self.repo)
        if git is not None and not has_commit(git):
            git, why_not = None, f"the git repository at {git.working_tree_dir} has no commit to branch from"
        rel_path = prefix + target.file   # the file's path from the git root (patches, commits)
        diff = unified_diff(rel_path, result.original_text, result.new_text)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        patch_file = self.out_dir / f"{target.name}.patch"
        patch_file.write_text(diff)

        branch = None
        if git is None:
            notes.append(f"no branch for {target.name}: {why_not}; see the patch file")
        elif is_dirty(git, rel_path):
            # The candidate was made from the working copy: committing it would carry
            # the user's uncommitted changes into the branch.
            notes.append(f"no branch for {target.name}: {target.file} has uncommitted changes; see the patch file")
        else:
            message = (f"optimize: {target.name} {m.speedup:.2f}x faster [{m.ci[0]:.2f}, {m.ci[1]:.2f}]\n\n"
                       f"Proposed by {candidate.origin}. Verified by the tests that call it and by replaying "
                       f"captured calls; measured over {m.samples} samples per side on {m.workload}.\n")
            branch, reused = commit_to_branch(git, rel_path, result.new_text, message, branch_stem(target))
            stem = f"optimize/{branch_stem(target)}"
            if reused:
                notes.append(f"branch {branch} already holds this edit of {target.name}: reused")
            elif branch != stem:
                notes.append(f"branch {stem} holds a different edit of {target.name}; this one is on {branch}")

        applied = False
        if self.apply:
            user_file = self.repo / target.file
            if user_file.read_text() != result.original_text:
                notes.append(f"not applied to {target.file}: it changed during the run")
            elif git is not None and is_dirty(git, rel_path):
                notes.append(f"not applied to {target.file}: it has uncommitted changes")
            else:
                user_file.write_text(result.new_text)
                applied = True
        return Kept(target, candidate, m, diff, branch, str(patch_file), applied, tuple(notes))
