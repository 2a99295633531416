"""Keep: turn the best verified candidate of a target into a patch file, a commit
on a new branch (git repos), and, only with --apply, an edit of the user's file."""
from __future__ import annotations

from pathlib import Path

from .model import Candidate, Kept, Measurement, Target
from .workspace import branch_stem, commit_to_branch, git_repo, is_dirty, unified_diff


def keep(repo_path: Path, out_dir: Path, target: Target, candidate: Candidate, measurement: Measurement,
         original: str, new_text: str, apply: bool, notes: list[str]) -> Kept:
    diff = unified_diff(target.file, original, new_text)
    out_dir.mkdir(parents=True, exist_ok=True)
    patch_file = out_dir / f"{target.name}.patch"
    patch_file.write_text(diff)

    repo = git_repo(repo_path)
    branch = None
    if repo is not None:
        if is_dirty(repo, target.file):
            # The candidate was made from the working copy: committing it would carry
            # the user's uncommitted changes into the branch.
            notes.append(f"no branch for {target.name}: {target.file} has uncommitted changes; see the patch file")
        else:
            m = measurement
            message = (f"optimize: {target.name} {m.speedup:.2f}x faster [{m.ci[0]:.2f}, {m.ci[1]:.2f}]\n\n"
                       f"Proposed by {candidate.origin}. Verified by the tests that call it and by replaying "
                       f"captured calls; measured over {m.samples} samples per side on {m.workload}.\n")
            branch = commit_to_branch(repo, target.file, new_text, message, branch_stem(target))

    applied = False
    if apply:
        user_file = repo_path / target.file
        if user_file.read_text() != original:
            notes.append(f"not applied to {target.file}: it changed during the run")
        elif repo is not None and is_dirty(repo, target.file):
            notes.append(f"not applied to {target.file}: it has uncommitted changes")
        else:
            user_file.write_text(new_text)
            applied = True
    return Kept(target, candidate, measurement, diff, branch, str(patch_file), applied)
