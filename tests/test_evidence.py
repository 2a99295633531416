"""How strong the evidence is: changed lines, whether compared calls reached them, and the wording."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from optimizer.judge import evidence_words
from optimizer.model import Candidate, Outcome, Verdict
from optimizer.target import find_in_text, index_repo, replace_definition, resolve
from optimizer.verify import verify
from optimizer.verify.evidence import (INSUFFICIENT, STRONG, WEAK, assess, changed_lines, spans, summary,
                                       unreached_note)
from repos import make_repo, recorded_repo

ROOT = Path(__file__).resolve().parent.parent

ORIGINAL = '''\
def classify(s, n):
    """Doc."""
    if n > 0:
        out = "pos"
    else:
        out = "neg"
    # a comment
    return out + s
'''   # lines 10-17 of its file


def _target(source, first=10, file="m.py", qualname="classify"):
    return find_in_text("\n" * (first - 1) + source, file, qualname)


# -- changed lines ----------------------------------------------------------------

def test_replaced_and_deleted_lines_of_the_original_are_changed():
    cand = ORIGINAL.replace('        out = "neg"\n', '        out = "NEG"\n').replace("    return out + s\n", "")
    old, new = changed_lines(ORIGINAL, 10, cand, 30)
    assert old == [15, 17] and new == [35]


def test_a_pure_insertion_is_a_change_of_the_line_before_it():
    cand = ORIGINAL.replace('    if n > 0:\n', '    if s == "x":\n        return ""\n    if n > 0:\n')
    old, new = changed_lines(ORIGINAL, 10, cand, 10)
    assert old == [11] and new == [12, 13]   # after the docstring (line 11); the new lines 12-13


def test_blank_and_comment_lines_are_not_changes():
    cand = ORIGINAL.replace("    # a comment\n", "    # another comment\n\n")
    assert changed_lines(ORIGINAL, 10, cand, 10) == ([], [])


def test_spans_in_words():
    assert spans([12, 13, 14]) == "12–14"
    assert spans([3, 12, 13, 20]) == "3, 12–13 and 20"


# -- reached? (synthetic coverage, the shape blockreach.Shape.summary gives) ---------

BLOCKS = [  # classify at line 10: if header, two bodies, the return
    {"id": "b0", "first": 12, "last": 12, "label": "if n > 0", "kind": "if"},
    {"id": "b1", "first": 13, "last": 13, "label": "line 13", "kind": "body"},
    {"id": "b2", "first": 15, "last": 15, "label": "else: line 15", "kind": "body"},
    {"id": "b3", "first": 17, "last": 17, "label": "line 17", "kind": "body"},
]


def _coverage(reached, directions=("taken", "not taken")):
    return {"blocks": BLOCKS, "reached": reached, "countable": 4, "branches": 1,
            "directions": {"b0": list(directions)}, "gaps": []}


def _assess(cand_source, reached, directions=("taken", "not taken"), cand_lines=None):
    original, candidate = _target(ORIGINAL), _target(cand_source)
    if cand_lines is None:   # the candidate ran every line
        cand_lines = list(range(candidate.start_line, candidate.end_line + 1))
    return assess(original, candidate, _coverage(reached, directions), {"lines": cand_lines, "complete": True})


def test_a_change_in_an_unreached_block_is_named():
    cand = ORIGINAL.replace('out = "neg"', 'out = "NEG"')
    found = _assess(cand, ["b0", "b1", "b3"], directions=("taken",))
    assert found["unreached"] == [15]
    assert found["problems"] == ["the changed line 15 was never reached by a compared call"]
    assert not _assess(cand, ["b0", "b1", "b2", "b3"])["problems"]


def test_the_else_line_maps_to_the_else_body():
    cand = ORIGINAL.replace("    else:\n", "    elif n < 0:\n")
    found = _assess(cand, ["b0", "b1", "b3"], directions=("taken",), cand_lines=[12, 13, 17])
    assert found["unreached"] == [14] and found["candidate_unreached"] == [14]
    # the candidate's side of a hunk whose original side was never reached is not said twice
    assert found["problems"] == ["the changed line 14 was never reached by a compared call"]


def test_a_changed_branch_header_needs_both_directions():
    cand = ORIGINAL.replace("if n > 0:", "if n >= 0:")
    found = _assess(cand, ["b0", "b1", "b3"], directions=("taken",))
    assert found["problems"] == ["the changed line 12 (if n > 0) was never false on a compared call"]
    assert not _assess(cand, ["b0", "b1", "b2", "b3"])["problems"]


def test_head_lines_are_reached_when_the_function_was_called():
    cand = ORIGINAL.replace("def classify(s, n):", "def classify(s, n=1):")
    assert not _assess(cand, ["b3"])["problems"]
    assert _assess(cand, [])["unreached"] == [10]


def test_a_new_branch_of_the_candidate_that_never_ran_is_named():
    cand = ORIGINAL.replace('    if n > 0:\n', '    if s == "xyzzy":\n        return ""\n    if n > 0:\n')
    # the original's insertion point (after the docstring) is reached; the back door's body is not
    found = _assess(cand, ["b0", "b1", "b2", "b3"], cand_lines=[12, 14, 15, 17, 19])
    assert found["unreached"] == [] and found["candidate_unreached"] == [13]
    assert found["problems"] == ["the candidate's new line 13 never ran on a compared call"]
    untraced = assess(_target(ORIGINAL), _target(cand), _coverage(["b0", "b1", "b2", "b3"]), None)
    assert untraced["problems"] == ["the candidate's new lines 12–13 could not be traced on the compared calls"]


def test_no_coverage_means_the_reach_could_not_be_measured():
    cand = ORIGINAL.replace('out = "neg"', 'out = "NEG"')
    found = assess(_target(ORIGINAL), _target(cand), {}, {"lines": list(range(10, 18)), "complete": True})
    assert found["problems"] == ["which lines of the original the compared calls reached could not be measured"]


def test_the_note_and_summary_name_the_unreached_blocks():
    cov = {**_coverage(["b0", "b1", "b3"], ("taken",)), "gaps": ["else: line 15 never ran",
                                                                  "if n > 0 (line 12) was never false"]}
    assert unreached_note("m.classify", cov) == (
        "m.classify: 1 of 4 blocks of the original was never reached by a compared call: else: line 15. "
        "A candidate that changes them is rejected unless --accept-unreached")
    assert summary(cov)["directions_missing"] == 1 and summary(cov)["reached"] == 3
    assert unreached_note("m.classify", _coverage(["b0", "b1", "b2", "b3"])) == ""


# -- wording and the report record ---------------------------------------------------

def test_only_the_strong_level_says_verified():
    strong = Verdict(True, "equivalence", "2 tests passed; the same outcome on 3 captured calls",
                     evidence={"level": STRONG})
    weak = Verdict(True, "evidence", "2 tests passed; the same outcome on 3 captured calls",
                   evidence={"level": WEAK, "warning": "the changed line 15 was never reached by a compared call"})
    assert evidence_words(strong).startswith("verified: 2 tests passed")
    assert evidence_words(weak).startswith("kept with weak evidence: the changed line 15 was never reached")
    assert "verified" not in evidence_words(weak)


def test_the_outcome_records_its_diff_and_cleans_its_evidence():
    target = _target(ORIGINAL)
    cand = Candidate(target, "m", ORIGINAL.replace('out = "neg"', 'out = "NEG"'))
    outcome = Outcome(cand, "rejected", "x", evidence={"calls": {"\x1b[31mcaptured": 3}, "level": INSUFFICIENT})
    record = outcome.to_json()
    assert record["evidence"]["calls"] == {"captured": 3}
    assert '-        out = "neg"\n+        out = "NEG"\n' in record["diff"]
    assert record["diff"].startswith("--- a/m.py (classify)\n+++ b/m.py (classify)\n")


# -- real verify runs ------------------------------------------------------------------

FILES = {
    "m.py": '''
        def total(xs):
            t = 0
            for x in xs:
                if x > 0:
                    t += x
                else:
                    t -= x
            return t


        def label(s):
            if len(s) == 41 and s.count("q") == 7:
                return "rare"
            return s.upper()
    ''',
    "tests/test_m.py": '''
        from m import label, total


        def test_total():
            assert total([1, -2, 3]) == 6 and total([]) == 0


        def test_label():
            assert label("ab") == "AB"
    ''',
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    with recorded_repo(tmp_path_factory.mktemp("e") / "r", FILES, git=False) as \
            (ws, sandbox, index, baselines, suite, _):
        yield ws, sandbox, baselines, suite, index


def _verdict(run, name, source, accept_unreached=False):
    ws, sandbox, baselines, suite, index = run
    t = resolve(index, name)
    new_text = replace_definition(ws.original_text(t), t, textwrap.dedent(source).lstrip("\n"))
    cand = ws.candidate_copy(t, new_text)
    try:
        return verify(sandbox, cand, new_text, baselines[t.name], suite, accept_unreached=accept_unreached)
    finally:
        ws.discard(cand)


def test_a_whole_body_rewrite_whose_calls_reach_everything_is_verified(run):
    v = _verdict(run, "total", '''
        def total(xs):
            t = 0
            for x in xs:
                t += x if x > 0 else -x
            return t
    ''')
    assert v.ok and v.stage == "equivalence", v.reason
    assert v.evidence["level"] == STRONG and v.evidence["reached"] is True
    assert v.evidence["blocks"]["reached"] == v.evidence["blocks"]["countable"] == 6
    assert v.reason.startswith("1 test passed; the same outcome on 2 captured") and \
        v.reason.endswith("calls; 6 of 6 blocks of the original reached"), v.reason
    assert v.evidence["calls"]["captured"] == 2 and v.evidence["tests"] == {"run": 1, "passed": 1}


def test_a_change_no_call_reached_is_rejected_and_accepted_only_on_request(run):
    wrong = '''
        def label(s):
            if len(s) == 41 and s.count("q") == 7:
                return "RARE"
            return s.upper()
    '''
    ws, _, baselines, _, index = run
    line = resolve(index, "label").start_line + 2
    v = _verdict(run, "label", wrong)
    assert not v.ok and v.stage == "evidence"
    assert v.reason == f"the changed line {line} was never reached by a compared call"
    assert v.evidence["level"] == INSUFFICIENT and v.evidence["changed_lines"]["unreached"] == [line]
    weak = _verdict(run, "label", wrong, accept_unreached=True)
    assert weak.ok and weak.evidence["level"] == WEAK and weak.evidence["warning"] == v.reason
    assert "verified" not in evidence_words(weak)


def test_a_back_door_before_reached_code_is_rejected_by_the_candidates_own_reach(run):
    _, _, _, _, index = run
    first = resolve(index, "label").start_line
    v = _verdict(run, "label", '''
        def label(s):
            if len(s) == 40 and s.count("z") == 9:
                return ""
            if len(s) == 41 and s.count("q") == 7:
                return "rare"
            return s.upper()
    ''')
    assert not v.ok and v.stage == "evidence", v.reason
    assert f"the candidate's new line {first + 2} never ran on a compared call" in v.reason, v.reason


SLOW_FILES = {**FILES, "m.py": FILES["m.py"] + """

        def slow_label(s):
            if len(s) == 41 and s.count("q") == 7:
                return "rare"
            out = ""
            for c in s:
                out = out + c.upper()
            return out
""", "tests/test_slow.py": """
        from m import slow_label


        def test_slow_label():
            assert slow_label("ab" * 400) == "AB" * 400
"""}
# Faster, and wrong in the one block no call reaches.
ANSWER = ("```python\ndef slow_label(s):\n    if len(s) == 41 and s.count(\"q\") == 7:\n"
          "        return \"RARE\"\n    return s.upper()\n```")


@pytest.mark.slow
def test_accept_unreached_through_the_cli(tmp_path, fake_openai):
    """The real CLI: a faster model rewrite that changes a block no call reaches is rejected
    with the reason; with --accept-unreached it is kept, saying its evidence is weak."""
    repo = make_repo(tmp_path / "r", SLOW_FILES)
    first = resolve(index_repo(repo), "slow_label").start_line
    reports = {}
    for flag in ([], ["--accept-unreached"]):
        server = fake_openai([ANSWER])
        out = tmp_path / ("weak" if flag else "strict")
        out.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")}
        r = subprocess.run([sys.executable, "-m", "optimizer", repo, "--target", "slow_label", "--json",
                            out / "report.json", "--model", "openai/fake-model", "--api-base", server.base_url,
                            "--candidates", "1", "--model-rounds", "1", "--no-cache", *flag,
                            # the flag is under test, not the input search or the instruction count
                            "--search-seconds", "0", "--no-second-opinion"],
                           capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
        assert r.returncode == 0, r.stderr + r.stdout
        report = json.loads((out / "report.json").read_text())
        reports[bool(flag)] = [c for c in report["candidates"] if c["origin"] == "openai/fake-model"][0], report
    (strict, report), (weak, weak_report) = reports[False], reports[True]
    assert f"m.slow_label: 1 of 6 blocks of the original was never reached by a compared call: line {first + 2}. " \
        "A candidate that changes them is rejected unless --accept-unreached" in report["notes"], report["notes"]
    assert strict["status"] == "rejected" and \
        strict["reason"] == f"the changed line {first + 2} was never reached by a compared call", strict["reason"]
    assert strict["evidence"]["level"] == INSUFFICIENT and '+        return "RARE"' in strict["diff"]
    assert weak["status"] == "kept", weak["reason"]
    assert weak["reason"].startswith("faster: ") and "kept with weak evidence: the changed line" in weak["reason"]
    assert "verified" not in weak["reason"] and weak["evidence"]["level"] == WEAK
    assert weak_report["kept"] and weak_report["kept"][0]["target"] == "m.slow_label"
