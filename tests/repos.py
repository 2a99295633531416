"""Real repositories in temporary folders, for the tests."""
from __future__ import annotations

import subprocess
import textwrap
from contextlib import contextmanager
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


@contextmanager
def recorded_repo(root: Path, files: dict[str, str], git: bool = True, names: list[str] | None = None,
                  timeout: float = 60):
    """A real repo captured under its own tests, with the calls of its functions (all, or
    `names`) recorded on the original: where the verification tests start. Yields
    (workspace, sandbox, index, baselines, suite, notes per recorded name)."""
    from optimizer.target import index_repo
    from optimizer.verify import capture
    from optimizer.verify.equivalence import record_expected
    from optimizer.workspace import Workspace
    from sandboxes import get_sandbox

    repo = make_repo(root, files, git=git)
    index = index_repo(repo)
    ws = Workspace(repo)
    sandbox = get_sandbox()[0]
    try:
        baselines, suite = capture(sandbox, ws.base, ws.scratch("run"), index, bench=None)
        notes = {name: record_expected(sandbox, ws.base, ws.scratch("run"), baselines[name], timeout)
                 for name in names or list(baselines)}
        yield ws, sandbox, index, baselines, suite, notes
    finally:
        ws.close()


def replay_only(ws, sandbox, index, baselines, name: str, source: str):
    """The equivalence check alone, without the tests in front of it, on `source` put in
    place of the function `name`."""
    from optimizer.target import replace_definition, resolve
    from optimizer.verify import equivalence

    t = resolve(index, name)
    cand = ws.candidate_copy(t, replace_definition(ws.original_text(t), t, source))
    try:
        return equivalence.check(sandbox, cand, baselines[t.name])
    finally:
        ws.discard(cand)


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
