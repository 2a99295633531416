"""The corpus (tests/corpus/): verification rejects wrong-but-plausible rewrites
that the repo's own weak tests let through, and accepts correct faster ones.

All originals live in one real repository (lib/<name>.py, tests/test_<name>.py),
captured once; every candidate is verified in a fresh copy of it, as the
optimizer does. A wrong candidate must pass the weak tests and be caught by the
equivalence check with the expected reason; a right one must be accepted.
A wrong candidate the layer is known to miss carries its gap and is a strict xfail.
"""
import textwrap

import pytest

import corpus
from optimizer.target import index_repo, replace_definition, resolve
from optimizer.verify import capture, verify
from optimizer.verify.equivalence import record_expected
from optimizer.workspace import Workspace
from repos import make_repo
from sandboxes import get_sandbox

ORIGINALS = corpus.originals()
pytestmark = pytest.mark.slow   # ~35 s: dozens of candidates, each verified in real subprocesses


def _cases():
    for name, mod in ORIGINALS.items():
        for i, c in enumerate(mod.WRONG):
            marks = [pytest.mark.xfail(strict=True, reason="gap: " + c.gap)] if c.gap else []
            yield pytest.param(name, c, id=f"{name}-wrong{i}", marks=marks)
        for i, c in enumerate(mod.RIGHT):
            yield pytest.param(name, c, id=f"{name}-right{i}")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    # The repo does not use hypothesis: not loading its pytest plugin saves ~0.6 s per test run.
    files = {"lib/__init__.py": "", "pytest.ini": "[pytest]\naddopts = -p no:hypothesispytest\n"}
    for name, mod in ORIGINALS.items():
        files[f"lib/{name}.py"] = mod.ORIGINAL
        files[f"tests/test_{name}.py"] = mod.TESTS
    repo = make_repo(tmp_path_factory.mktemp("corpus") / "repo", files, git=False)
    index = index_repo(repo)
    targets = {name: resolve(index, f"lib.{name}:{mod.TARGET}") for name, mod in ORIGINALS.items()}
    ws = Workspace(repo)
    sandbox = get_sandbox()[0]
    baselines, suite = capture(sandbox, ws.base, ws.scratch("run"), list(targets.values()), bench=None)
    notes = {t.name: record_expected(sandbox, ws.base, ws.scratch("run"), baselines[t.name], 60)
             for t in targets.values()}
    yield ws, sandbox, targets, baselines, suite, notes
    ws.close()


def test_corpus_size():
    wrong = [c for m in ORIGINALS.values() for c in m.WRONG]
    assert len(ORIGINALS) >= 8 and len(wrong) >= 20
    assert sum(len(m.RIGHT) for m in ORIGINALS.values()) >= 10
    assert len({name for name, m in ORIGINALS.items() if m.WRONG}) >= 8


@pytest.mark.parametrize("name", list(ORIGINALS))
def test_original_is_captured_and_replayable(run, name):
    _, _, targets, baselines, suite, notes = run
    b = baselines[targets[name].name]
    assert not suite.failed(), suite.failed()
    assert b.tests and all(n.startswith(f"tests/test_{name}.py::") for n in b.tests), b.tests
    assert b.n_calls >= 2 and len(b.workload) == b.n_calls, (b.n_calls, b.workload)
    assert len(b.stable) > len(b.workload), "no generated calls"
    assert notes[targets[name].name] == [], notes[targets[name].name]


@pytest.mark.parametrize("name, case", list(_cases()))
def test_candidate(run, name, case):
    ws, sandbox, targets, baselines, suite, _ = run
    t = targets[name]
    source = textwrap.dedent(case.source).strip("\n")
    new_text = replace_definition(ws.original_text(t), t, source, imports=case.imports)
    workspace = ws.candidate_copy(t, new_text)
    try:
        v = verify(sandbox, workspace, new_text, baselines[t.name], suite)
    finally:
        ws.discard(workspace)
    if isinstance(case, corpus.Wrong):
        assert not v.ok, f"accepted a wrong candidate ({case.why}): {v.reason}"
        assert v.stage == "equivalence", f"caught at stage {v.stage!r}, not by equivalence: {v.reason}"
        assert v.reason.startswith(case.reason), f"expected {case.reason!r}..., got: {v.reason}"
    else:
        assert v.ok, f"rejected a correct candidate ({case.why}) at stage {v.stage!r}: {v.reason}"
