"""optimize review: suggestions as lines of the head, their markers, the GitHub client
against a fake API on 127.0.0.1, and the command line's early exits."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fake_github import TOKEN, FakeGitHub, pull_event
from optimizer.cli import main
from optimizer.errors import UsageError
from optimizer.github import GitHub, GitHubError, actions_context
from optimizer.model import Candidate, Measurement, Outcome, TargetResult
from optimizer.review import (Review, comment_body, comments_and_body, suggested_before, suggestion,
                              to_markdown, version_key)
from optimizer.target import replace_definition, targets_in_file
from repos import make_repo, run_git

MODULE = '''\
"""Shapes."""


class Grid:
    def cells(self, rows, cols):
        """Every (row, col) pair."""
        out = []
        for r in range(rows):
            for c in range(cols):
                out.append((r, c))
        return out


def last(items):
    return items[-1]'''   # no newline at the end of the file


def _result(tmp_path, qualname: str, new_source: str, imports=()) -> tuple[TargetResult, str]:
    (tmp_path / "shapes.py").write_text(MODULE)
    target = next(t for t in targets_in_file(tmp_path, "shapes.py") if t.qualname == qualname)
    cand = Candidate(target, "pattern:test", textwrap.dedent(new_source).lstrip("\n"), tuple(imports), note="Why it is faster.")
    m = Measurement(2.0, (1.8, 2.2), 1.0, 0.5, 20, instructions=2.1)
    winner = Outcome(cand, "kept", "faster", m, evidence={"tests": {"run": 3, "passed": 3},
                                                          "calls": {"captured": 4, "generated": 30}})
    new_text = replace_definition(MODULE, target, cand.source, cand.imports)
    return TargetResult(target, (winner,), winner, new_text, MODULE), new_text


BODY_LINE = """
def cells(self, rows, cols):
    \"\"\"Every (row, col) pair.\"\"\"
    out = []
    for r in range(rows):
        for c in range(cols):
            out += [(r, c)]
    return out
"""
WHOLE_BODY = """
def cells(self, rows, cols):
    \"\"\"Every (row, col) pair.\"\"\"
    return [(r, c) for r in range(rows) for c in range(cols)]
"""
MIXED = """
def cells(self, rows, cols):
    \"\"\"Every (row, col) pair.\"\"\"
    rng = range
    out = []
    for r in rng(rows):
        for c in rng(cols):
            out.append((r, c))
    return out
"""
INSERTION = """
def cells(self, rows, cols):
    \"\"\"Every (row, col) pair.\"\"\"
    out = []
    append = out.append
    for r in range(rows):
        for c in range(cols):
            out.append((r, c))
    return out
"""


@pytest.mark.parametrize("new_source,lines", [
    (BODY_LINE, (10, 10)),     # one line of the body
    (WHOLE_BODY, (7, 11)),     # the whole body below the docstring
    (MIXED, (7, 9)),           # an insertion and the loops' lines: from the first change to the last
    (INSERTION, (7, 7)),       # a pure insertion: the line before it is replaced too

])
def test_a_suggestion_is_the_fewest_lines_of_the_head_and_applies_to_the_candidate(tmp_path, new_source, lines):
    result, new_text = _result(tmp_path, "Grid.cells", new_source)
    s = suggestion(result, "", {"shapes.py": [(1, 20)]})
    assert (s.start_line, s.end_line) == lines
    assert s.apply_to(MODULE) == new_text
    assert all(ln.startswith("        ") for ln in s.replacement.splitlines())   # the method's indentation
    assert s.one_click


def test_a_suggestion_at_the_end_of_a_file_without_a_newline(tmp_path):
    result, new_text = _result(tmp_path, "last", "def last(items):\n    return items[len(items) - 1]\n")
    s = suggestion(result, "", {"shapes.py": [(13, 15)]})
    assert (s.start_line, s.end_line) == (15, 15)
    assert s.apply_to(MODULE).rstrip("\n") == new_text.rstrip("\n")


def test_outside_the_diff_or_needing_an_import_it_is_not_one_click(tmp_path):
    result, _ = _result(tmp_path, "last", "def last(items):\n    return items[len(items) - 1]\n")
    assert not suggestion(result, "", {"shapes.py": [(1, 5)]}).one_click
    assert not suggestion(result, "sub/", {"shapes.py": [(13, 15)]}).in_diff   # paths are from the git root
    result, _ = _result(tmp_path, "last", "def last(items):\n    return deque(items).pop()\n",
                        imports=["from collections import deque"])
    s = suggestion(result, "", {"shapes.py": [(13, 15)]})
    assert s.in_diff and not s.one_click and s.imports == ("from collections import deque",)


def test_the_comment_carries_figures_evidence_a_long_enough_fence_and_a_marker(tmp_path):
    result, _ = _result(tmp_path, "last", 'def last(items):\n    """```inside```"""\n    return items[len(items) - 1]\n')
    s = suggestion(result, "", {"shapes.py": [(13, 15)]})
    body = comment_body(s)
    assert "**2.00x faster** [1.80, 2.20]; instructions 2.10x" in body
    assert "3 tests passed; the same results as the original on 34 calls (4 captured, 30 generated)" in body
    assert "Why it is faster." in body
    assert "\n````suggestion\n" in body and body.count("````") == 2   # longer than the ``` inside
    assert suggested_before(["noise", body]) == {("shapes.py", "last", version_key(s.target))}


def test_caveats_from_the_proposer_and_the_evidence_are_said(tmp_path):
    result, _ = _result(tmp_path, "last", "def last(items):\n    return items[len(items) - 1]\n")
    winner = result.winner
    cand = Candidate(winner.candidate.target, "pattern:list-as-set", winner.candidate.source,
                     note="A list becomes a set. Membership is then O(1). Not applicable when the list is returned, "
                          "and unsafe when the elements are unhashable.")
    outcome = Outcome(cand, "kept", "faster", winner.measurement,
                      evidence={**winner.evidence, "narrowed": {"calls": 4, "example": "raises TypeError on [[1]]"}})
    result = TargetResult(result.target, (outcome,), outcome, result.new_text, MODULE)
    body = comment_body(suggestion(result, "", {"shapes.py": [(13, 15)]}))
    assert "A list becomes a set." in body and "Membership is then O(1)" not in body
    assert "**Caveat:** Unsafe when the elements are unhashable." in body and "Not applicable" not in body
    assert "**Caveat:** It raises on 4 generated call(s) of kinds the captured calls never pass, which the current " \
           "version accepts (e.g. raises TypeError on [[1]])" in body


def test_what_was_tried_says_how_each_candidate_fared(tmp_path):
    from optimizer.review import _fates

    result, _ = _result(tmp_path, "last", "def last(items):\n    return items[len(items) - 1]\n")
    c, m = result.winner.candidate, result.winner.measurement
    fates = [Outcome(c, "rejected", "1 test failed", stage="tests"), Outcome(c, "rejected", "2 failed", stage="tests"),
             Outcome(c, "rejected", "not faster: 0.99x", Measurement(0.99, (0.9, 1.02), 1, 1, 10)),
             Outcome(c, "undecided", "machine too busy", m)]
    assert _fates(fates) == "2 failed the tests; 1 not fast enough; 1 undecided (a busy machine)"


def test_one_review_holds_line_comments_and_the_rest_in_its_body(tmp_path):
    one, _ = _result(tmp_path, "Grid.cells", WHOLE_BODY)
    other, _ = _result(tmp_path, "last", "def last(items):\n    return items[len(items) - 1]\n")
    r = Review("main", "abc", suggestions=[suggestion(one, "", {"shapes.py": [(1, 12)]}),
                                           suggestion(other, "", {"shapes.py": [(1, 12)]})])
    comments, body = comments_and_body(r)
    assert comments == [{"path": "shapes.py", "line": 11, "side": "RIGHT", "start_line": 7, "start_side": "RIGHT",
                         "body": comment_body(r.suggestions[0])}]
    assert "`last`" in body and "outside this pull request's diff" in body and "@@ -13,3 +13,3 @@" in body and "-    return items[-1]\n+    return items[len(items) - 1]\n" in body
    assert len(suggested_before([body])) == 1
    markdown = to_markdown(r)
    assert markdown.startswith("## optimize review: 2 suggestions") and "line 7–11" in markdown


def test_over_the_cap_the_changed_functions_are_ranked_by_the_profile(tmp_path):
    from types import SimpleNamespace

    from optimizer.model import Hotspot
    from optimizer.review import _ranked

    (tmp_path / "shapes.py").write_text(MODULE)
    cells, last = targets_in_file(tmp_path, "shapes.py")
    profiled = []
    session = SimpleNamespace(index=[cells, last], settings=SimpleNamespace(bench=None), hotspots=[],
                              locate_hotspots=lambda n: profiled.append(n) or session.hotspots.extend(
                                  [Hotspot("last", "shapes.py", 14, 0.6, last), Hotspot("cells", "shapes.py", 5, 0.1, cells)]))
    r = Review("main", "abc")
    assert _ranked(session, [cells, last], 2, r) == [cells, last] and profiled == []   # under the cap: no profile
    assert _ranked(session, [cells, last], 1, r) == [last] and r.beyond_cap == [cells]
    assert "2 functions changed: the 1 with the largest share of the tests' time were tried" in r.notes[0]


# -- the GitHub client against a fake API ----------------------------------------------------

@pytest.fixture
def github(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver).start()


def _pull(fake: FakeGitHub, **kw):
    return actions_context({"GITHUB_EVENT_PATH": _event_file(fake, **kw), "GITHUB_REPOSITORY": "acme/widgets",
                            "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": fake.url}).pull


def _event_file(fake: FakeGitHub, path: Path | None = None, head="h" * 40, base="b" * 40, **kw) -> str:
    import tempfile

    path = path or Path(tempfile.mkdtemp()) / "event.json"
    path.write_text(json.dumps(pull_event(head, base, number=fake.number, **kw)))
    return str(path)


def test_earlier_comments_are_read_across_pages(github):
    github.comments = [{"id": i, "body": f"comment {i}"} for i in range(150)]
    github.reviews = [{"id": 1, "body": "a review"}]
    with GitHub(github.url, TOKEN) as gh:
        texts = gh.earlier_texts(_pull(github))
    assert len(texts) == 151 and texts[-1] == "a review"
    assert [r.split("?")[1] for r in github.requests if "/comments" in r] == ["per_page=100&page=1",
                                                                             "per_page=100&page=2"]


def test_rate_limits_and_server_errors_are_retried_with_backoff(github):
    waits = []
    github.failures = [(429, {"message": "slow down"}, {"Retry-After": "3"}),
                       (403, {"message": "API rate limit exceeded"}, {"x-ratelimit-remaining": "0"}),
                       (502, {"message": "bad gateway"}, {})]
    with GitHub(github.url, TOKEN, sleep=waits.append) as gh:
        posted = gh.post_review(_pull(github), "body", [])
    assert posted["id"] == 1 and waits[0] == 3.0 and len(waits) == 3
    assert github.posted[0] == {"commit_id": "h" * 40, "event": "COMMENT", "body": "body", "comments": []}


@pytest.mark.parametrize("status,message,words", [
    (401, "Bad credentials", "401 Bad credentials (the token is missing or invalid)"),
    (404, "Not Found", "404 Not Found (no such repository or pull request"),
    (422, "Unprocessable Entity", "422 Unprocessable Entity: pull_request_review_thread.line must be part of the diff"),
    (403, "Resource not accessible by integration", "(the token cannot write: give the job `permissions: "
                                                    "pull-requests: write`)"),
])
def test_api_refusals_are_one_line_naming_the_call(github, status, message, words):
    github.failures = [(status, {"message": message, "errors": ["pull_request_review_thread.line must be part of "
                                                                "the diff"] if status == 422 else []}, {})]
    with GitHub(github.url, TOKEN, sleep=lambda s: None) as gh, pytest.raises(GitHubError) as info:
        gh.post_review(_pull(github), "body", [])
    text = str(info.value)
    assert text.startswith("GitHub API: POST /repos/acme/widgets/pulls/7/reviews: ") and words in text
    assert "\n" not in text


def test_line_comments_github_refuses_are_posted_in_the_body_instead(tmp_path, github, capsys):
    import io

    from optimizer.cli import _post

    one, _ = _result(tmp_path, "Grid.cells", WHOLE_BODY)
    r = Review("main", "abc", suggestions=[suggestion(one, "", {"shapes.py": [(1, 12)]})], status="completed")
    github.failures = [(422, {"message": "Unprocessable Entity",
                              "errors": ["pull_request_review_thread.line must be part of the diff"]}, {})]
    said = io.StringIO()
    with GitHub(github.url, TOKEN, sleep=lambda s: None) as gh:
        _post(gh, _pull(github), r, said)
    [posted] = github.posted   # the first POST was refused, the second landed
    assert posted["comments"] == [] and "GitHub refused it as a line comment" in posted["body"]
    assert "@@ -5,9 +5,5 @@" in posted["body"] and len(suggested_before([posted["body"]])) == 1
    assert "posting the suggestions in the review's body instead" in said.getvalue()


def test_the_actions_context_refuses_what_it_cannot_review_safely(tmp_path, github):
    with pytest.raises(UsageError, match="GITHUB_EVENT_PATH is not set"):
        actions_context({"GITHUB_TOKEN": TOKEN})
    event = _event_file(github, tmp_path / "e.json")
    with pytest.raises(UsageError, match="does not run on pull_request_target"):
        actions_context({"GITHUB_EVENT_PATH": event, "GITHUB_EVENT_NAME": "pull_request_target",
                         "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/widgets"})
    with pytest.raises(UsageError, match="GITHUB_TOKEN is not set"):
        actions_context({"GITHUB_EVENT_PATH": event, "GITHUB_REPOSITORY": "acme/widgets"})
    (tmp_path / "push.json").write_text(json.dumps({"ref": "refs/heads/main"}))
    with pytest.raises(UsageError, match="has no pull_request"):
        actions_context({"GITHUB_EVENT_PATH": str(tmp_path / "push.json"), "GITHUB_EVENT_NAME": "push",
                         "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/widgets"})
    assert _pull(github, fork=True).from_fork and not _pull(github).from_fork
    assert _pull(github, draft=True, labels=["optimize:skip"]).labels == ("optimize:skip",)


# -- the command line's exits before any work ---------------------------------------------------

def _repo(tmp_path) -> tuple[Path, str]:
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": "def f(x):\n    return x\n",
                                         "tests/test_core.py": "from pkg.core import f\n\n\n"
                                                               "def test_f():\n    assert f(1) == 1\n"})
    return repo, run_git(repo, "rev-parse", "HEAD").strip()


def _github_env(monkeypatch, fake: FakeGitHub, event: str, summary: Path):
    for key, value in {"GITHUB_EVENT_PATH": event, "GITHUB_REPOSITORY": "acme/widgets", "GITHUB_TOKEN": fake.token,
                       "GITHUB_API_URL": fake.url, "GITHUB_STEP_SUMMARY": str(summary),
                       "GITHUB_EVENT_NAME": "pull_request"}.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize("kw,words", [
    ({"draft": True}, "it is a draft"),
    ({"labels": ["bug", "optimize:skip"]}, "it has the label optimize:skip"),
])
def test_drafts_and_the_skip_label_are_left_alone(tmp_path, monkeypatch, capsys, github, kw, words):
    repo, head = _repo(tmp_path)
    _github_env(monkeypatch, github, _event_file(github, tmp_path / "e.json", head=head, base=head, **kw),
                tmp_path / "summary.md")
    assert main(["review", str(repo), "--github"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and words in err and words in (tmp_path / "summary.md").read_text()
    assert github.requests == [] and github.posted == []


@pytest.mark.parametrize("setup,words", [
    ("no-event", "optimize: error: --github runs inside GitHub Actions: GITHUB_EVENT_PATH is not set"),
    ("no-base", "optimize: error: name the revision the change is from: optimize review REPO --base main"),
    ("other-head", "not the pull request's head " + "f" * 40 + ": check out with ref:"),
    ("bad-token", "optimize: error: GitHub API: GET /repos/acme/widgets/pulls/7/comments: 401 Bad credentials"),
    ("bad-base", "fetch the base too (actions/checkout with fetch-depth: 0)"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_output(tmp_path, monkeypatch, capsys, github, setup, words):
    repo, head = _repo(tmp_path)
    args = ["review", str(repo), "--github"]
    if setup == "no-event":
        monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    elif setup == "no-base":
        args = ["review", str(repo)]
    else:
        event = _event_file(github, tmp_path / "e.json", head="f" * 40 if setup == "other-head" else head,
                            base="0" * 40 if setup == "bad-base" else head)
        _github_env(monkeypatch, github, event, tmp_path / "summary.md")
        if setup == "bad-token":
            github.token = "another"
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and words in err and len(err.strip().splitlines()) == 1
    assert github.posted == []


# -- end to end: real repositories, the real command line, the fake API --------------------------

FAST = "def unique_ordered(items):\n    return list(dict.fromkeys(items))\n"
SLOW = ("def unique_ordered(items):\n    seen = []\n    out = []\n    for item in items:\n"
        "        if item not in seen:\n            seen.append(item)\n            out.append(item)\n    return out\n")
CORE = '''\
"""Core helpers."""


{unique}

def describe(items):
    """Say how many there are."""
    return f"{{len(items)}} items"


def untested(xs):
    return [x * 2 for x in xs]
'''
TESTS = '''\
from pkg.core import describe, unique_ordered


def test_unique_ordered():
    assert unique_ordered([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert unique_ordered([]) == []
    assert unique_ordered(list(range(300)) * 3) == list(range(300))


def test_describe():
    assert describe([1, 2]) == "2 items"
'''


def _branches(tmp_path) -> Path:
    """main (a fast unique_ordered); slow (it slowed down); docs (a docstring only);
    untested (a change to a function no test calls)."""
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": CORE.format(unique=FAST),
                                         "tests/test_core.py": TESTS})
    run_git(repo, "config", "user.email", "t@example.com")
    run_git(repo, "config", "user.name", "T")
    core = repo / "pkg" / "core.py"
    for branch, text in [("slow", CORE.format(unique=SLOW)),
                         ("docs", CORE.format(unique=FAST).replace("Say how many there are.", "How many, in words.")),
                         ("untested", CORE.format(unique=FAST).replace("x * 2", "x + x"))]:
        run_git(repo, "checkout", "-q", "-b", branch, "main")
        core.write_text(text)
        run_git(repo, "commit", "-q", "-am", branch)
    run_git(repo, "checkout", "-q", "slow")
    return repo


def _cli(*args, cwd=None, env=None):
    import os

    env = {**{k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")},
           **(env or {})}
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


QUICK = ("--search-seconds", "0", "--no-second-opinion")   # not what these tests are about


@pytest.mark.slow
def test_review_selects_the_changed_functions_and_says_what_it_cannot_check(tmp_path):
    repo = _branches(tmp_path)
    run_git(repo, "checkout", "-q", "docs")
    r = _cli("review", repo, "--base", "main", "--format", "json", *QUICK)
    assert r.returncode == 0, r.stderr
    docs = json.loads(r.stdout)
    assert docs["changed"] == [] and docs["suggestions"] == [] and "capture" not in r.stderr

    run_git(repo, "checkout", "-q", "untested")
    r = _cli("review", repo, "--base", "main", *QUICK)
    assert r.returncode == 0, r.stderr
    assert "| `pkg.core.untested` | not checkable | - | no test or workload called it |" in r.stdout
    assert r.stdout.startswith("## optimize review: no suggestion")
    listed = _cli("runs", repo, "--json")   # both reviews are in the history
    assert [(row["kind"], row["status"]) for row in json.loads(listed.stdout)] == [("review", "completed")] * 2


def _action_step(step_id: str, **given: str) -> tuple[str, dict]:
    """The `run` script and `env` of one step of action.yml, with the action's expressions
    filled in from the inputs `given` (`with:`) and the others' defaults, as GitHub does."""
    import re

    import yaml

    action = yaml.safe_load((Path(__file__).parent.parent / "action.yml").read_text())
    defaults = {name: given.get(name.replace("-", "_"), spec.get("default", ""))
                for name, spec in action["inputs"].items()}
    step = next(s for s in action["runs"]["steps"] if s.get("id") == step_id)

    def fill(text: str) -> str:
        text = text.replace("${{ github.token }}", TOKEN)
        return re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: fill(str(defaults[m[1]])), text)

    return step["run"], {k: fill(str(v)) for k, v in step.get("env", {}).items()}


@pytest.mark.slow
def test_the_actions_review_step_posts_one_review_once_and_never_on_a_fork(tmp_path, github):
    import os

    repo = _branches(tmp_path)
    head, base = run_git(repo, "rev-parse", "HEAD").strip(), run_git(repo, "rev-parse", "main").strip()
    summary = tmp_path / "summary.md"
    env = {"GITHUB_EVENT_PATH": _event_file(github, tmp_path / "e.json", head=head, base=base),
           "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": "acme/widgets", "GITHUB_API_URL": github.url,
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTION_PATH": str(Path(__file__).parent.parent),
           "GITHUB_TOKEN": TOKEN}
    script, step_env = _action_step("review", args="--search-seconds 2")   # what the test is not about
    # The action's install step is not run: it would install this tool over the test's own.
    run = subprocess.run(["bash", "-e", "-c", script], cwd=repo, capture_output=True, text=True, timeout=600,
                         env={**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")},
                              **env, **step_env, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert run.returncode == 0, run.stderr
    [posted] = github.posted
    assert posted["commit_id"] == head and posted["event"] == "COMMENT"
    [comment] = posted["comments"]
    assert comment["path"] == "pkg/core.py" and comment["side"] == "RIGHT"
    assert "x faster** [" in comment["body"] and "; instructions " in comment["body"]   # both figures, together
    block = comment["body"].split("```suggestion\n", 1)[1].split("\n```", 1)[0] + "\n"
    core = repo / "pkg" / "core.py"
    lines = core.read_text().splitlines(keepends=True)
    start = comment.get("start_line", comment["line"])
    applied = "".join(lines[:start - 1]) + block + "".join(lines[comment["line"]:])
    assert "seen = set()" in applied or "dict.fromkeys" in applied
    assert "## optimize review: 1 suggestion" in summary.read_text()

    # The same head again: the function's version was suggested already; nothing new is posted.
    again = _cli("review", repo, "--github", cwd=repo, env=env)
    assert again.returncode == 0, again.stderr
    assert len(github.posted) == 1 and "nothing to suggest: nothing posted" in again.stderr
    assert "already suggested" in again.stdout and "capture" not in again.stderr

    # A fork's pull request: reviewed, summarised, nothing posted, exit 0.
    github.comments, github.reviews, github.can_write = [], [], False
    fork = {**env, "GITHUB_EVENT_PATH": _event_file(github, tmp_path / "fork.json", head=head, base=base, fork=True)}
    forked = _cli("review", repo, "--github", "--format", "json", *QUICK, cwd=repo, env=fork)
    assert forked.returncode == 0, forked.stderr
    assert len(github.posted) == 1 and "from a fork" in forked.stderr
    assert summary.read_text().count("## optimize review: 1 suggestion") == 2
    out = json.loads(forked.stdout)
    assert out["changed"] == ["pkg.core.unique_ordered"]   # not describe, not untested: unchanged on this branch
    [s] = out["suggestions"]
    assert (s["path"], s["function"], s["start_line"], s["end_line"], s["replacement"]) == \
        ("pkg/core.py", "unique_ordered", start, comment["line"], block)
    assert s["ci"][0] >= 1.2 and f"timed again: {s['speedup']:.2f}x" in s["reason"]   # the second timing's figure

    core.write_text(applied)   # the posted suggestion, applied as GitHub would
    [kept] = [c for r in out["results"] for c in r["candidates"] if c["status"] == "kept"]
    assert kept["source"] in core.read_text()   # the file now holds exactly the verified function
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                           capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout   # and its tests pass
    assert run_git(repo, "status", "--short", "--untracked-files=no").strip() == "M pkg/core.py"   # the review changed nothing


def test_action_yml_and_the_example_workflow_pass_actionlint(tmp_path):
    import shutil

    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(actionlint).exists():
        pytest.fail("actionlint is not installed: pip install -e '.[test]' installs it")
    root = Path(__file__).parent.parent
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(root / "action.yml", tmp_path / "action.yml")
    example = (root / "docs" / "examples" / "optimize-review.yml").read_text()
    (workflows / "example.yml").write_text(example)
    # the same workflow using this folder's action: actionlint then checks action.yml and the inputs given
    (workflows / "local.yml").write_text(example.replace("your-org/optimize@v1", "./"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    lint = subprocess.run([actionlint, "-no-color"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    (workflows / "local.yml").write_text(example.replace("your-org/optimize@v1", "./").replace("install:", "instal:"))
    lint = subprocess.run([actionlint, "-no-color"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 1 and 'input "instal" is not defined' in lint.stdout   # it did read action.yml
