"""The corpus of real bugs (tests/corpus_real/, issue #12 part 4): wrong-but-plausible
rewrites of functions of four real PyPI libraries (inflection, semver, webcolors,
humanize; vendored with their licences and their own tests), each passing that
library's own tests, must be rejected with a reason that names the differing call;
correct faster rewrites must be kept.

Per library, a real git repository is built from the vendored files, captured once
under its tests and its bench.py, and recorded once per target; every candidate is then
verified in a fresh copy, as the optimizer does. A wrong candidate the engine does not
catch yet is a strict xfail naming the input that would reveal it (manifest.toml's
`today`, written by benchmarks/corpus_real.py --update-manifest): when the engine
improves, it turns into a failure and its mark must go.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import corpus_real
from sandboxes import get_sandbox

CASES = corpus_real.cases()
CALL_NAMED = re.compile(r" on \w+ call #\d+ \(")   # "... on generated call #17 ([2, 1, 2]): expected ..."


def _param(case):
    marks = []
    if case.kind == "wrong" and case.today != "call":
        marks.append(pytest.mark.xfail(strict=True, reason=f"not caught yet ({case.today or 'kept'}): "
                                                           f"{case.about}; revealed by {case.reveals}"))
    if case.kind == "correct" and case.today != "kept":
        marks.append(pytest.mark.xfail(strict=True, reason=f"a correct rewrite rejected today ({case.today})"))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """library -> corpus_real.Prepared, built on first use."""
    sandbox = get_sandbox()[0]
    out: dict[str, corpus_real.Prepared] = {}

    def get(library: str) -> corpus_real.Prepared:
        if library not in out:
            out[library] = corpus_real.prepare(library, tmp_path_factory.mktemp(library) / "repo", sandbox)
        return out[library]

    yield get
    for p in out.values():
        p.ws.close()


def test_corpus_shape():
    wrong = [c for c in CASES if c.kind == "wrong"]
    assert len(wrong) >= 12 and sum(c.kind == "correct" for c in CASES) >= 6
    assert len({c.library for c in wrong}) >= 4
    for name, lib in corpus_real.LIBRARIES.items():
        folder = corpus_real.HERE / name
        assert any((folder / f).exists() for f in ("LICENSE", "LICENSE.txt", "LICENCE")), name
        assert lib["licence"] in ("MIT", "BSD-3-Clause", "Apache-2.0") and (folder / "bench.py").exists()
        assert list((folder / "tests").glob("test_*.py")), name
    for c in wrong:
        assert c.about and c.reveals, c.id


@pytest.mark.slow
@pytest.mark.parametrize("library", list(corpus_real.LIBRARIES))
def test_originals_captured(prepared, library):
    p = prepared(library)
    assert not p.suite.failed(), p.suite.failed()
    for spec, t in p.targets.items():
        b = p.baselines[t.name]
        assert b.tests and b.n_calls >= 2 and b.stable, (spec, b.tests, b.n_calls)
        assert not [n for n in p.notes[t.name] if "could not be replayed" in n], p.notes[t.name]


@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_candidate(prepared, case):
    v = corpus_real.judge(prepared(case.library), case)
    if case.kind == "wrong":
        # It passes the library's own tests (stage "tests" would mean they caught it) ...
        assert v.stage != "tests", f"the library's own tests catch it, so it does not belong here: {v.reason}"
        # ... and the compared calls catch it, naming the call.
        assert not v.ok, f"accepted a wrong candidate ({case.about}): {v.reason}"
        assert v.stage == "equivalence" and CALL_NAMED.search(v.reason), \
            f"rejected without naming a differing call (stage {v.stage}): {v.reason}"
    else:
        assert v.ok, f"rejected a correct candidate ({case.about}) at stage {v.stage!r}: {v.reason}"


# Through the real CLI, a model answer replayed from a transcript: the correct rewrite is
# verified, measured (in instructions, which the load of a shared machine does not move)
# and kept; a wrong one beside it, one the engine catches today, is rejected naming the call.
CLI_CASES = [("inflection", "humanize_ascii_fast", "humanize_lower"),
             ("webcolors", "serialize_one_format", None),
             ("humanize", "apnumber_int_fast", "apnumber_isdigit")]


@pytest.mark.slow
@pytest.mark.parametrize("library, right, wrong", CLI_CASES, ids=[c[1] for c in CLI_CASES])
def test_through_cli(tmp_path, library, right, wrong):
    by_name = {c.name: c for c in CASES if c.library == library}
    good = by_name[right]
    repo = corpus_real.build_repo(library, tmp_path / "repo")
    from optimizer.target import index_repo, resolve
    t = resolve(index_repo(repo), good.target)
    answers = [{"target": t.name, "step": "r1/optimize", "sample": 0,
                "answer": f"Faster:\n```python\n{good.source}```"}]
    bad = by_name.get(wrong)
    if bad and bad.target == good.target and bad.today == "call":   # one the engine catches today
        answers.append({"target": t.name, "step": "r1/optimize", "sample": 1,
                        "answer": f"Faster still:\n```python\n{bad.source}```"})
    transcript = tmp_path / "transcript.json"
    transcript.write_text(json.dumps({"model": "openai/corpus-real", "answers": answers}))
    report_path = tmp_path / "out" / "report.json"
    report_path.parent.mkdir()
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--target", good.target,
                        "--bench", corpus_real.LIBRARIES[library]["bench"], "--replay", str(transcript),
                        "--candidates", str(len(answers)), "--model-rounds", "1", "--json", str(report_path),
                        # instructions, not seconds: the machine is shared, its load must not decide
                        "--metric", "instructions"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-3000:]
    report = json.loads(report_path.read_text())
    model_rows = [c for c in report["candidates"] if c["origin"] == "openai/corpus-real"]
    assert any(c["reason"].startswith("faster: ") for c in model_rows), [c["reason"] for c in report["candidates"]]
    assert [k for k in report["kept"] if k["target"] == t.name], report["kept"]
    if len(answers) > 1:
        assert any(CALL_NAMED.search(c["reason"]) for c in model_rows), [c["reason"] for c in model_rows]
