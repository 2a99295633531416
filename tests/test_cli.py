"""The command-line contract: exit codes and one-line errors, run as a real subprocess."""
import os
import subprocess
import sys

import pytest

from repos import SLOW_REPO, make_repo


def optimize(*args, cwd=None, env=None):
    """The real CLI in a subprocess."""
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture
def repo(tmp_path):
    files = dict(SLOW_REPO)
    files["pkg/other.py"] = "def total(x):\n    return x\n"
    return make_repo(tmp_path / "r", files)


def _one_line_error(r, fragment):
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optimize: error:") and fragment in lines[0], r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_missing_directory(tmp_path):
    _one_line_error(optimize(tmp_path / "nope"), "is not a directory")


def test_unknown_target_suggests(repo):
    _one_line_error(optimize(repo, "--target", "uniq_ordered"), "did you mean pkg.core.unique_ordered")


def test_ambiguous_target_lists_matches(repo):
    _one_line_error(optimize(repo, "--target", "total"), "pkg/core.py::total, pkg/other.py::total")


@pytest.mark.parametrize("args,fragment", [
    (["--min-speedup", "0"], "--min-speedup must be positive"),
    (["--candidates", "0"], "--candidates must be at least 1"),
    (["--candidates", "many"], "invalid int value"),
    (["--no-such-flag"], "unrecognized arguments"),
    (["--json", "/nonexistent/dir/r.json"], "/nonexistent/dir does not exist"),
])
def test_bad_flags(repo, args, fragment):
    _one_line_error(optimize(repo, *args), fragment)


def test_apply_refuses_a_dirty_target_file(repo):
    (repo / "pkg/core.py").write_text((repo / "pkg/core.py").read_text() + "\n# wip\n")
    _one_line_error(optimize(repo, "--target", "unique_ordered", "--apply"), "uncommitted changes")


def test_failing_suite_is_refused(tmp_path):
    files = dict(SLOW_REPO)
    files["tests/test_broken.py"] = ("from pkg.core import unique_ordered\n\n\n"
                                     "def test_broken():\n    assert unique_ordered([1, 1]) == [1, 1]\n")
    repo = make_repo(tmp_path / "r", files)
    r = optimize(repo, "--target", "unique_ordered", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    assert "skipped pkg.core.unique_ordered: its tests fail on the original code" in r.stdout


def test_help_is_fast_and_does_not_import_litellm():
    code = ("import sys; from optimizer.cli import build_parser; build_parser();"
            "import optimizer.session, optimizer.propose.llm; print('litellm' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "False", r.stderr
    assert optimize("--help").returncode == 0


def test_suite_that_cannot_be_collected_is_bad_input(tmp_path):
    files = {**SLOW_REPO, "tests/test_syntax.py": "def test_x(:\n    pass\n"}
    repo = make_repo(tmp_path / "r", files)
    _one_line_error(optimize(repo, "--target", "unique_ordered"), "ERROR tests/test_syntax.py")


def test_sandbox_bwrap_where_bubblewrap_is_missing(repo):
    """--sandbox bwrap fails up front, in one line, when bubblewrap cannot run (here: not on PATH)."""
    env = {"PATH": os.path.dirname(sys.executable), "HOME": str(repo.parent)}
    _one_line_error(optimize(repo, "--target", "unique_ordered", "--sandbox", "bwrap", env=env),
                    "--sandbox bwrap: bubblewrap is not installed")


def test_unknown_sandbox(repo):
    _one_line_error(optimize(repo, "--sandbox", "docker"), "invalid choice: 'docker'")


@pytest.mark.parametrize("args,fragment", [
    (["--replay", "/nonexistent/t.json"], "cannot read the transcript"),
    (["--replay", "t.json", "--model", "openai/x"], "does not go with --model"),
    (["--record", "t.json"], "--record saves a model's answers"),
    (["--max-calls", "-1"], "--max-calls must be at least 0"),
    (["--model-rounds", "0"], "--model-rounds must be at least 1"),
])
def test_bad_model_flags(repo, args, fragment):
    _one_line_error(optimize(repo, "--target", "unique_ordered", *args, cwd=repo), fragment)


def test_settings_come_from_flags_then_pyproject_then_environment(repo):
    from optimizer.settings import layered

    (repo / "pyproject.toml").write_text("[tool.optimize]\nmax_cost = 2.5\nmodel_rounds = 4\nmax_calls = 3\n")
    env = {"OPTIMIZE_MAX_COST": "9", "OPTIMIZE_MAX_CALLS": "7"}
    values = layered(repo, {"max_cost": 1.0}, env)
    assert values["max_cost"] == 1.0                                # the flag
    assert values["model_rounds"] == 4                              # [tool.optimize]
    assert values["max_calls"] == 7                                 # OPTIMIZE_MAX_CALLS over [tool.optimize]
    assert values["model_timeout"] == 120.0 and values["min_speedup"] == 1.05   # defaults
    (repo / "pyproject.toml").write_text("[tool.optimize]\nmax_cost = \"lots\"\n")
    _one_line_error(optimize(repo, "--target", "unique_ordered"), "[tool.optimize] max_cost must be a float")
    (repo / "pyproject.toml").write_text("[tool.optimize]\nmin_sped = 1.2\n")
    _one_line_error(optimize(repo, "--target", "unique_ordered"), "unknown setting 'min_sped' in [tool.optimize]")
    env = {**os.environ, "OPTIMIZE_MODEL_ROUNDS": "0"}
    (repo / "pyproject.toml").unlink()
    _one_line_error(optimize(repo, "--target", "unique_ordered", env=env), "OPTIMIZE_MODEL_ROUNDS must be at least 1, got 0")
