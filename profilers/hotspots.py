"""Rank hotspots: each sample is credited to the deepest frame that belongs to the
repository's own code (not tests, not the standard library, not site-packages)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from optimizer.model import Hotspot, Target

from .sampling import Profile


def rank(profile: Profile, workspace: Path, targets: list[Target]) -> list[Hotspot]:
    by_file: dict[str, list[Target]] = {}
    for t in targets:
        by_file.setdefault(t.file, []).append(t)
    root = str(workspace.resolve()) + "/"
    credit: Counter = Counter()
    for stack, count in profile.stacks.items():
        for func, path, line in reversed(stack):          # deepest first
            rel = _relative(path, root)
            owner = rel and _enclosing(by_file.get(rel, ()), line)
            if owner:
                credit[owner] += count
                break
    total = profile.total or 1
    return [Hotspot(t.name, t.file, t.start_line, n / total, target=t)
            for t, n in sorted(credit.items(), key=lambda kv: (-kv[1], kv[0].name))]


def _relative(path: str, root: str) -> str | None:
    resolved = str(Path(path).resolve()) if path.startswith("/") else path
    return resolved[len(root):] if resolved.startswith(root) else None


def _enclosing(targets, line: int) -> Target | None:
    """The innermost indexed function whose span holds the line (methods before their class)."""
    inside = [t for t in targets if t.start_line <= line <= t.end_line]
    return min(inside, key=lambda t: t.end_line - t.start_line) if inside else None
