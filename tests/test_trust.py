"""Where the sandbox does not isolate files: model-written code is not run unless the user
chose that backend; the original's timing copy is guarded; nothing is carried forward."""
from __future__ import annotations


import pytest

from optimizer.session import runnable_proposers
from optimizer.settings import RunSettings as RunConfig
from optimizer.measure.runner import MeasureSettings
from optimizer.propose.patterns import PatternProposer
from repos import SLOW_REPO, make_repo
from sandboxes import BwrapSandbox, ProcessSandbox
from doubles import QueueProposer, quiet_view, run_repo
from test_loop import FAST


def test_auto_falling_back_to_the_process_backend_asks_no_model():
    model, catalog = QueueProposer([FAST]), PatternProposer()
    kept, note = runnable_proposers([model, catalog], "auto", ProcessSandbox())
    assert kept == [catalog]
    assert note.startswith("not asking queue: model-written code runs only in the bwrap sandbox")
    assert "apt-get install -y bubblewrap" in note and "--sandbox process" in note and "\n" not in note


@pytest.mark.parametrize(("chosen", "sandbox"), [("process", ProcessSandbox()), ("auto", BwrapSandbox()),
                                                  ("bwrap", BwrapSandbox())])
def test_model_code_runs_where_files_are_isolated_or_the_user_chose_the_risk(chosen, sandbox):
    proposers = [QueueProposer([FAST]), PatternProposer()]
    assert runnable_proposers(proposers, chosen, sandbox) == (proposers, "")


SPOIL_THE_ORIGINAL = '''
def unique_ordered(items):
    with open("../base/pkg/core.py", "a") as fh:   # the copy the original is timed from
        fh.write("\\n# spoiled\\n")
    return list(dict.fromkeys(items))
'''


@pytest.mark.slow
def test_process_backend_guards_the_originals_copy_and_keeps_no_examples(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("OPTIMIZE_HOME", str(home))
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    config = RunConfig(repo=repo, out_dir=tmp_path / "out", target="unique_ordered", candidates=10,
                       sandbox="process", check_capabilities=False, measure=MeasureSettings(rounds=3))
    report = run_repo(config, [QueueProposer([SPOIL_THE_ORIGINAL, FAST])], quiet_view())
    spoiler, fast = report.outcomes
    assert spoiler.status == "rejected" and spoiler.stage == "integrity"
    assert spoiler.reason == "changed the original's timing copy while it ran: pkg/core.py"
    # restored: the next candidate is judged against the real original, and kept
    assert fast.status == "kept" and [k.candidate.origin for k in report.kept] == ["queue#1"]
    assert not (home / "kept-examples.jsonl").exists()


def test_a_route_granted_only_by_the_originals_module_is_named_in_a_note():
    from optimizer.session import _granted_routes_note
    from optimizer.model import Candidate, Target

    target = Target("pkg/core.py", "pkg.core", "f", 1, 2, 0, 10, "def f(x):\n    return x\n", "",
                    imports=("import os", "import numpy as np"))
    uses_env = Candidate(target, "model", "def f(x):\n    return os.environ.get('X') or np.asarray(x)\n",
                         imports=("import collections",))
    note = _granted_routes_note(uses_env, ProcessSandbox())
    assert note.startswith("model (r1/optimize) for pkg.core.f passed while using numpy.asarray (unlisted module), "
                           "os.environ (environment): allowed only because the original's module uses them")
    assert note.endswith("the process sandbox does not isolate files or the network")
    plain = Candidate(target, "model", "import collections\ndef f(x):\n    return collections.Counter(x)\n")
    assert _granted_routes_note(plain, BwrapSandbox()) == ""
