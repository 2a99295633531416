"""Real repositories in temporary folders, for the tests."""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path


def make_repo(root: Path, files: dict[str, str], git: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    if git:
        run_git(root, "init", "-q", "-b", "main")
        run_git(root, "add", "-A")
        run_git(root, "commit", "-q", "-m", "initial")
    return root


def run_git(root: Path, *args: str) -> str:
    env_args = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    return subprocess.run(["git", *env_args, *args], cwd=root, check=True, text=True,
                          capture_output=True).stdout


def tree_state(root: Path) -> dict[str, bytes]:
    """Every file under root (including .git's index and HEAD) by content."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "objects" not in path.parts and "logs" not in path.parts \
                and "refs" not in path.parts and path.name != "packed-refs":
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


SLOW_REPO = {
    "pkg/__init__.py": "",
    "pkg/core.py": '''
        """Core helpers."""


        def unique_ordered(items):
            seen = []
            out = []
            for item in items:
                if item not in seen:
                    seen.append(item)
                    out.append(item)
            return out


        def total(xs):
            return sum(xs)


        class Stack:
            def __init__(self):
                self.items = []

            def push_all(self, values):
                for v in values:
                    self.items.append(v)
                return len(self.items)
    ''',
    "tests/test_core.py": '''
        from pkg.core import Stack, total, unique_ordered


        def test_unique():
            assert unique_ordered([3, 1, 3, 2, 1]) == [3, 1, 2]


        def test_unique_big():
            data = [i % 400 for i in range(2000)]
            assert unique_ordered(data) == list(range(400))


        def test_total():
            assert total([1, 2, 3]) == 6


        def test_stack():
            s = Stack()
            assert s.push_all([1, 2]) == 2
    ''',
}
