"""The command line's promises, in-process (optimizer.cli.main): bad input exits 2 with
one line before any other output, subcommands, and what a run prints and writes."""
import json

import pytest

from fake_openai import closed_port
from optimizer import __version__
from optimizer.cli import main
from repos import SLOW_REPO, make_repo


@pytest.fixture
def repo(tmp_path):
    files = {**SLOW_REPO, "pkg/other.py": "def total(x):\n    return x\n",
             "pkg/broken.py": "raise RuntimeError('boom at import')\n\n\ndef f(x):\n    return x\n",
             "tests/test_other.py": "from pkg.other import total\n\n\ndef test_total():\n    assert total(3) == 3\n"}
    return make_repo(tmp_path / "r", files)


def fails_first(capsys, argv, fragment):
    """Exit 2, one line on stderr naming the problem, nothing else printed, no run folder."""
    import os
    from pathlib import Path

    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("optimize: error: ") and fragment in err, err
    assert not (Path(os.environ["OPTIMIZE_HOME"]) / "runs").exists()


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"optimize {__version__}"
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "exit codes:" in text and "130" in text and "--min-speedup" in text


@pytest.mark.parametrize("argv,fragment", [
    (["--target", "uniq_ordered"], "no function 'uniq_ordered' in the repository; did you mean pkg.core.unique_ordered"),
    (["--target", "total"], "ambiguous: pkg/core.py::total, pkg/other.py::total"),
    (["--target", "pkg.broken.f"], "pkg.broken (the module of f) does not import: RuntimeError: boom at import"),
    (["--target", "unique_ordered", "--rtol", "2"], "--rtol must be below 1, got 2.0"),
])
def test_bad_input_exits_2_before_any_output(capsys, repo, argv, fragment):
    fails_first(capsys, [repo, *argv], fragment)
    fails_first(capsys, ["run", repo, *argv], fragment)   # the subcommand is the same command


def test_a_bad_setting_names_its_key_and_where(capsys, repo, monkeypatch):
    (repo / "pyproject.toml").write_text("[tool.optimize]\ncandidate = 3\n")
    fails_first(capsys, [repo, "--target", "unique_ordered"], "unknown setting 'candidate' in [tool.optimize] of")
    (repo / "pyproject.toml").write_text("[tool.optimize]\nsandbox = 'docker'\n")
    fails_first(capsys, [repo], "[tool.optimize] sandbox must be one of auto, bwrap, process, got 'docker'")
    (repo / "pyproject.toml").unlink()
    monkeypatch.setenv("OPTIMIZE_MIN_SPEEDUP", "fast")
    fails_first(capsys, [repo], "OPTIMIZE_MIN_SPEEDUP must be a float, got 'fast'")
    monkeypatch.delenv("OPTIMIZE_MIN_SPEEDUP")
    monkeypatch.setenv("OPTIMIZE_MIN_SPEEDP", "1.2")
    fails_first(capsys, [repo], "OPTIMIZE_MIN_SPEEDP is not a setting; did you mean OPTIMIZE_MIN_SPEEDUP?")


def test_the_model_endpoint_is_checked_before_the_run(capsys, repo, fake_openai, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    url = f"http://127.0.0.1:{closed_port()}/v1"
    run = [repo, "--target", "unique_ordered", "--model", "openai/fake-model", "--api-base"]
    fails_first(capsys, [*run, url], f"cannot reach the model endpoint {url}")
    fails_first(capsys, [*run, fake_openai([{"status": 401}]).base_url], "rejected the credentials")
    fails_first(capsys, [*run, fake_openai([{"status": 404}]).base_url], "does not know openai/fake-model")
    # no key and no server of one's own: said before anything is sent
    fails_first(capsys, [repo, "--target", "unique_ordered", "--model", "openai/gpt-4.1"],
                "model openai/gpt-4.1 needs OPENAI_API_KEY")


def test_no_arguments_is_one_line(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("optimize: error: name a repository") and err.count("\n") == 1


def test_session_without_a_repository_is_one_line(capsys):
    assert main(["session"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("optimize: error: ") and "repo" in err and err.count("\n") == 1


def test_a_target_no_proposer_can_rewrite_is_named_and_not_calibrated(capsys, repo, tmp_path):
    report_path = tmp_path / "out" / "r.json"
    report_path.parent.mkdir()
    assert main([str(repo), "--target", "pkg.other:total", "--search-seconds", "0", "--json", str(report_path)]) == 0
    out = capsys.readouterr().out
    assert "no catalog pattern applies to total; a model (--model) can propose rewrites" in out
    assert "noise" not in out and "no candidate was judged" in out and "completed in " in out
    # --json FILE writes that file (patches would go beside it), not a second report.json
    assert sorted(p.name for p in report_path.parent.iterdir()) == ["r.html", "r.json"]   # the page beside it
    report = json.loads(report_path.read_text())
    meta = report["meta"]
    assert meta["tool_version"] == __version__ and len(meta["git_revision"]) == 40
    assert meta["tool_revision"] is None or len(meta["tool_revision"].split("+")[0]) == 40   # this checkout's
    assert meta["settings"]["target"] == "pkg.other:total" and meta["settings"]["search_seconds"] == 0
    assert meta["python"].count(".") == 2 and meta["started"] and meta["duration_s"] >= 0


def test_show_and_runs_read_the_runs_folder(capsys, tmp_path, monkeypatch):
    from optimizer.home import runs_dir

    assert main(["show"]) == 2 and "no runs yet" in capsys.readouterr().err
    folder = runs_dir() / "r-20261130-120000"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps({
        "repo": "/x/r", "status": "completed", "meta": {"started": "2026-11-30T12:00:00+00:00"},
        "candidates": [{"target": "pkg.f", "origin": "pattern:p", "status": "kept", "speedup": 2.0, "ci": [1.9, 2.1]}],
        "kept": [{"target": "pkg.f", "speedup": 2.0, "branch": "optimize/f", "patch_file": "/x/pkg.f.patch"}]}))
    assert main(["show"]) == 0
    out = capsys.readouterr().out
    assert "completed, 1 candidate(s), 1 kept" in out and "kept pkg.f: 2.00x -> optimize/f" in out
    assert main(["show", str(folder), "--json"]) == 0 and json.loads(capsys.readouterr().out)["repo"] == "/x/r"
    assert main(["show", folder.name]) == 0 and "kept pkg.f" in capsys.readouterr().out   # by the name runs lists
    failed = runs_dir() / "r-20261130-130000"
    failed.mkdir()
    (failed / "error.log").write_text("Traceback ...\n")
    assert main(["show", failed.name]) == 2 and "the run failed, see" in capsys.readouterr().err
    assert main(["runs"]) == 0   # the runs folder's reports, indexed on the first query
    out = capsys.readouterr().out
    assert f"failed       @no git  failed: see {failed / 'error.log'}" in out
    assert "2026-11-30T12:00:00+00:00  run     completed    /x/r@no git  pkg.f 2.00x (1 target)" in out
    assert f"    {folder}\n" in out
    assert main(["runs", str(tmp_path)]) == 0 and capsys.readouterr().out.strip() == f"no runs on {tmp_path}"


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    from optimizer import cli

    monkeypatch.setattr(cli.time, "strftime", lambda fmt: "20261201-120000")
    first = cli._new_run_dir(tmp_path / "r")
    assert first.name == "r-20261201-120000" and not first.exists()   # named, made when the run writes
    first.mkdir(parents=True)
    second = cli._new_run_dir(tmp_path / "r")
    second.mkdir()
    assert second.name == "r-20261201-120000-2" and cli._new_run_dir(tmp_path / "r").name == "r-20261201-120000-3"
