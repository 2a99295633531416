"""A profile's stacks in the collapsed form flame graphs are drawn from, small enough
for a report: `frame;frame;... samples`, outermost frame first, one line per stack.

A frame is `function (file)`: line numbers are dropped so that a function is one box
however many lines of it were sampled (the per-line view is the line profile's job).
Files are shown relative to the workspace (the repository's own code) or to the
package folder they were found in (`site-packages/pluggy/_hooks.py` -> `pluggy/_hooks.py`),
so no temporary path of the run reaches the report. Subtrees under `min_share` of the
samples are folded into their parent, so a pytest run's thousand small stacks become a
few dozen readable boxes and the file stays small.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .sampling import Profile

MIN_SHARE = 0.004       # a box narrower than this share of the samples is folded into its parent...
OWN_MIN_SHARE = 0.0003  # ...unless it leads to the repository's own code: a small target stays visible
MAX_DEPTH = 80      # deeper frames are folded into the 80th

IMPORTING = "(importing)"
START_UP = "(interpreter start-up)"
_PACKAGE_DIRS = re.compile(r".*/(?:site-packages|dist-packages|lib/python\d+\.\d+)/")


@dataclass
class _Node:
    total: int = 0
    own: int = 0          # samples whose stack reaches the repository's own code at or below this frame
    children: dict[str, "_Node"] = field(default_factory=dict)


def collapsed(profile: Profile, workspace: Path, min_share: float = MIN_SHARE) -> dict:
    """The profile as {"tool", "seconds", "samples", "stacks": [...], "own_files": [...]}:
    the pruned collapsed stacks, and which files shown are the repository's own."""
    from optimizer.verify.runs import BOOTSTRAP   # the in-process sampler's own frames are not the workload's

    root, ours = str(workspace.resolve()) + "/", str(BOOTSTRAP) + "/"
    tree, own = _Node(), set()
    for stack, count in profile.stacks.items():
        if any(path.startswith(ours) for _func, path, _line in stack):
            continue
        frames = _frames(stack, root)[:MAX_DEPTH]
        deepest_own = max((i for i, (_, is_own) in enumerate(frames) if is_own), default=-1)
        node = tree
        node.total += count
        for i, (name, is_own) in enumerate(frames):
            if is_own:
                own.add(name[name.rfind(" (") + 2:-1])
            node = node.children.setdefault(name, _Node())
            node.total += count
            node.own += count if i <= deepest_own else 0
    lines: list[str] = []
    least = max(1, int(min_share * tree.total))
    _emit(tree, [], (least, max(1, int(OWN_MIN_SHARE * tree.total))), lines)
    return {"tool": profile.tool, "seconds": round(profile.seconds, 3), "samples": tree.total,
            "stacks": lines, "own_files": sorted(own)}


def _emit(node: _Node, path: list[str], least: tuple[int, int], out: list[str]) -> None:
    kept = {name: child for name, child in node.children.items()
            if child.total >= least[0] or child.own >= least[1]}
    own = node.total - sum(child.total for child in kept.values())   # itself, plus what was folded
    if own > 0:   # at the root: the short stacks folded away, under one name
        out.append(f"{';'.join(path) if path else '(other stacks)'} {own}")
    for name, child in sorted(kept.items()):
        _emit(child, path + [name.replace(";", ",")], least, out)


def _frames(stack, root: str) -> list[tuple[str, bool]]:
    """A stack's frames as (`function (file)`, is the repository's own), the import
    system's own frames (five or six per `import` statement) merged into one
    `(importing)` box, so that an import shows as `(importing)` -> `<module> (the module)`;
    a stack of the interpreter's start-up (the `site` module and the .pth files it runs,
    where an editable install's finder shows up) is one `(interpreter start-up)` box."""
    if any(path == "<frozen site>" for _func, path, _line in stack):
        return [(START_UP, False)]   # the interpreter's own start-up (site, .pth files): not the workload's
    out: list[tuple[str, bool]] = []
    for func, path, _line in stack:
        if path.startswith("<frozen importlib."):
            if not out or out[-1][0] != IMPORTING:
                out.append((IMPORTING, False))
            continue
        file, is_own = _shown_file(path, root)
        out.append((f"{func} ({file})", is_own))
    return out


def _shown_file(path: str, root: str) -> tuple[str, bool]:
    if path.startswith(root):
        return path[len(root):], True
    package = _PACKAGE_DIRS.match(path)
    if package:
        return path[package.end():], False
    return Path(path).name or path, False


def parse_collapsed(lines: list[str]) -> list[tuple[list[str], int]]:
    """[(frames, samples)] from collapsed lines; malformed lines are skipped (a report
    file may have been edited by hand)."""
    out = []
    for line in lines:
        body, _, count = str(line).rpartition(" ")
        if body and count.isdigit():
            out.append((body.split(";"), int(count)))
    return out
