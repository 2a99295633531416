"""The repository's code runs in the repository's own Python (issue #18): a project whose
dependency is installed only in its own virtual environment is optimized through
--python and through detection of REPO/.venv; without either, the run stops with exit 2
naming the missing module. Real virtual environments, the real command line."""
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from repos import make_repo

REPO = {
    "pkg/__init__.py": "",
    "pkg/core.py": '''
        import greetlib


        def unique_ordered(items):
            seen = []
            out = []
            for item in items:
                if item not in seen:
                    seen.append(item)
                    out.append(item)
            return out


        def hello(name):
            return greetlib.greet(name)
    ''',
    "tests/test_core.py": '''
        from pkg.core import hello, unique_ordered


        def test_unique():
            import importlib.util

            # the optimizer's own packages are not on this process's path (a kept edit needs this to pass);
            # cloudpickle alone may be loaded already, by the capture that records this very call
            assert importlib.util.find_spec("rich") is None and importlib.util.find_spec("hypothesis") is None
            assert unique_ordered([3, 1, 3, 2, 1]) == [3, 1, 2]
            assert unique_ordered([i % 300 for i in range(1500)]) == list(range(300))


        def test_hello():
            assert hello("you") == "hello, you"
    ''',
}
PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py.py")   # pytest and what it needs


def project_env(where: Path, pytest_too: bool = True) -> Path:
    """A virtual environment of its own (no pip) holding greetlib, the project's dependency,
    and, by a .pth file, pytest: a folder with links to this interpreter's pytest and
    what it needs (the optimizer's other packages are not there)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = next(where.glob("lib/python*/site-packages"))
    (site / "greetlib.py").write_text("def greet(name):\n    return 'hello, ' + name\n")
    if pytest_too:
        ours = Path(sysconfig.get_paths()["purelib"])
        only = where.parent / f"{where.name}-pytest-only"
        only.mkdir()
        for name in PYTEST_PACKAGES:
            if (ours / name).exists():
                (only / name).symlink_to(ours / name)
        (site / "pytest_only.pth").write_text(f"{only}\n")
    return where


def optimize(repo: Path, *flags: str, env=None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    return subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--target", "unique_ordered",
                           "--search-seconds", "0", "--no-second-opinion", "--rounds", "3", *flags],
                          capture_output=True, text=True, timeout=600, env={**environ, **(env or {})})


def test_without_the_projects_environment_the_missing_module_is_named(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    r = optimize(repo)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("optimize: error: pkg.core (the module of unique_ordered) does not import: ")
    assert "No module named 'greetlib'" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.slow   # a whole profile, then the workload once more (about 16 s)
def test_a_workload_that_cannot_import_its_dependency_stops_the_run_naming_it(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo)], capture_output=True, text=True, timeout=600,
                       env={k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")})
    assert r.returncode == 2, r.stdout + r.stderr
    [line] = r.stderr.splitlines()
    assert line.startswith("optimize: error: the test suite failed on the unchanged repository (exit 2): ")
    assert "No module named 'greetlib'" in line and "it ran in the optimizer's own Python" in line
    assert line.endswith("name it with --python")


def test_a_wrong_python_or_one_without_pytest_is_one_line_and_exit_2(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    r = optimize(repo, "--python", str(tmp_path / "nowhere" / "python"))
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"optimize: error: --python: no Python at {tmp_path / 'nowhere' / 'python'}\n"
    bare = project_env(tmp_path / "bare", pytest_too=False)
    r = optimize(repo, "--python", str(bare))
    assert (r.returncode, r.stdout) == (2, "") and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith(f"optimize: error: --python: {bare}/bin/python has no pytest")
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--python", "bare"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)   # relative to where it is run
    assert r.returncode == 2 and r.stderr.startswith(f"optimize: error: --python: {bare}/bin/python has no pytest")
    old = tmp_path / "old-python"   # answers as a Python 3.8 would
    old.write_text("#!/bin/sh\necho '[[3, 8, 18], \"/opt/py38\"]'\n")
    old.chmod(0o755)
    r = optimize(repo, "--python", str(old))
    assert r.returncode == 2 and r.stderr == (f"optimize: error: --python: {old} is Python 3.8.18; the workers need "
                                              "3.9 or newer\n")
    (repo / ".venv" / "bin").mkdir(parents=True)   # a Python since removed: said, not skipped
    (repo / ".venv" / "bin" / "python").symlink_to(tmp_path / "gone" / "python3.10")
    r = optimize(repo)
    assert r.returncode == 2
    assert r.stderr == f"optimize: error: the repository's .venv: no Python at {repo / '.venv' / 'bin' / 'python'}\n"
    (repo / ".venv" / "bin" / "python").unlink()
    (repo / ".venv").mkdir(exist_ok=True)   # a found environment that is not one says so too
    (repo / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 3\n")
    (repo / ".venv" / "bin" / "python").chmod(0o755)
    r = optimize(repo)
    assert r.returncode == 2 and r.stderr.startswith("optimize: error: the repository's .venv: ")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["detected", "--python"])
def test_the_projects_own_environment_runs_its_code(tmp_path, how):
    repo = make_repo(tmp_path / "r", REPO)
    if how == "detected":
        env = project_env(repo / ".venv")   # git-ignored by nobody: the workspace copy leaves it out
        flags = ()
        said = "the repository's .venv"
    else:
        env = project_env(tmp_path / "envs" / "proj")
        flags = ("--python", str(env))
        said = "--python"
    report = tmp_path / "report.json"
    r = optimize(repo, *flags, "--json", str(report))
    assert r.returncode == 0, r.stderr + r.stdout
    data = json.loads(report.read_text())
    assert data["meta"]["interpreter"] == {"executable": str(env / "bin" / "python"),
                                           "version": ".".join(map(str, sys.version_info[:3])), "how": said}
    assert f"the repository's code runs in {env / 'bin' / 'python'}" in " ".join(r.stdout.split())
    [kept] = data["kept"]   # verified (its tests, which import greetlib, passed there) and measured there
    assert kept["target"] == "pkg.core.unique_ordered"
    assert "verified: 1 test passed" in next(c["reason"] for c in data["candidates"] if c["status"] == "kept")
