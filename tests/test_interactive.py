"""optimize session: the commands, the log, and whole sessions through the real command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.interactive import (HumanProposer, SessionLog, Steered, candidate_from_text, read_log,
                                   resolve_command, terminal_lines)
from optimizer.propose.base import ProposalContext
from optimizer.target import targets_in_file
from repos import SLOW_REPO, make_repo, run_git


def _target(tmp_path, text="def unique_ordered(items):\n    return items\n", name="unique_ordered"):
    (tmp_path / "m.py").write_text(text)
    return next(t for t in targets_in_file(tmp_path, "m.py") if t.qualname == name)


def test_commands_answer_to_unambiguous_prefixes():
    assert resolve_command("acc") == "accept" and resolve_command("focus") == "focus"
    assert resolve_command("t") is None            # try, table
    assert resolve_command("ta") == "table" and resolve_command("nope") is None


def test_a_typed_candidate_is_one_definition_of_the_target_with_its_imports(tmp_path):
    t = _target(tmp_path)
    c = candidate_from_text(t, "from collections import OrderedDict\n\ndef unique_ordered(items):\n"
                               "    return list(OrderedDict.fromkeys(items))\n", "you")
    assert not c.error and c.imports == ("from collections import OrderedDict",)
    assert c.source.startswith("def unique_ordered(items):")
    assert "one definition of unique_ordered" in candidate_from_text(t, "def other(x):\n    return x\n", "you").error
    assert "syntax error on line 2" in candidate_from_text(t, "def unique_ordered(items):\n  return (\n", "you").error
    [c] = HumanProposer("def unique_ordered(items):\n    return items[:]\n").propose(t, ProposalContext(""), 3)
    assert c.origin == "you" and not c.error


class Recording:
    name, trusted, iterative, usage, suggest_inputs = "rec", False, True, None, None

    def __init__(self):
        self.contexts = []

    def propose(self, target, context, k):
        self.contexts.append(context)
        return []


def test_steering_carries_hints_and_a_refinement_into_the_request(tmp_path):
    from optimizer.model import Candidate, Outcome

    t, inner = _target(tmp_path), Recording()
    Steered(inner, ("keep the dict",)).propose(t, ProposalContext("src"), 2)
    assert inner.contexts[-1].hints == ("keep the dict",) and inner.contexts[-1].mode == "optimize"
    assert Steered(inner).name == "rec" and Steered(inner).trusted is False
    better = Outcome(Candidate(t, "m", "def unique_ordered(items):\n    return list(items)\n"), "passed", "ok")
    Steered(inner, ("h",), refine=better, feedback="avoid the copy").propose(t, ProposalContext("src"), 1)
    ctx = inner.contexts[-1]
    assert (ctx.mode, ctx.previous, ctx.feedback, ctx.hints) == ("refine", better.candidate.source, "avoid the copy",
                                                                ("h",))
    assert "hints" in ctx.identity()   # a hinted request is another question to the response cache


def test_hints_reach_the_models_prompt(tmp_path):
    from optimizer.propose.llm import render_request

    t = _target(tmp_path)
    text = render_request(t, ProposalContext("src", hints=("the input is usually sorted",)))
    assert "follow these constraints and ideas:\n- the input is usually sorted" in text


def test_the_log_is_appended_and_flushed_per_event_and_a_transcript_beside_it(tmp_path):
    log = SessionLog(tmp_path / "s" / "session.jsonl")
    log.write("command", line="/focus f")
    log.said("f (m.py:1)")
    assert [e["event"] for e in read_log(tmp_path / "s" / "session.jsonl")] == ["command"]   # before close
    log.close()
    with open(tmp_path / "s" / "session.jsonl", "a") as f:
        f.write('{"v": 1, "event": "cand')   # a line cut short by a crash
    assert len(read_log(tmp_path / "s" / "session.jsonl")) == 1
    assert "**> `/focus f`**" in (tmp_path / "s" / "session.md").read_text()


def test_the_terminal_prompt_reads_lines_through_prompt_toolkit(tmp_path):
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from optimizer.interactive import completer

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("/focus unique_ordered\r/quit\r")
        lines = terminal_lines(["unique_ordered"], tmp_path / "history")
        assert next(lines) == "/focus unique_ordered"
        assert next(lines) == "/quit"
    assert "/quit" in (tmp_path / "history").read_text()   # history kept across sessions
    words = completer(["unique_ordered", "Stack.push_all"])
    assert [c.text for c in words.get_completions(Document("/foc"), CompleteEvent())] == ["/focus"]
    assert [c.text for c in words.get_completions(Document("/focus uni"), CompleteEvent())] == ["unique_ordered"]


def test_the_case_studys_recorded_session_is_made_of_known_commands():
    root = Path(__file__).parent.parent / "case_studies" / "toolz_session"
    lines = (root / "session.txt").read_text().splitlines()
    commands, typing = [], False
    for line in lines:
        if typing:
            typing = line != "."
        elif line.startswith("/"):
            commands.append(resolve_command(line[1:].split()[0]))
            typing = commands[-1] == "try"
    assert None not in commands and commands[-1] == "quit" and "accept" in commands
    assert (root / "LICENSE.txt").is_file() and (root / "toolz" / "itertoolz.py").is_file()


@pytest.mark.slow
def test_a_session_at_the_terminal_prompt(tmp_path):
    """The prompt_toolkit path end to end, fed through its pipe input."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from optimizer.interactive import Interactive
    from optimizer.session import Session
    from optimizer.settings import RunSettings

    repo = make_repo(tmp_path / "r", SLOW_REPO)
    said: list[str] = []
    settings = RunSettings(repo=repo, out_dir=tmp_path / "out", search_seconds=0, second_opinion=False)
    with Session(settings) as session, create_pipe_input() as pipe, \
            create_app_session(input=pipe, output=DummyOutput()):
        log = SessionLog(tmp_path / "out" / "session.jsonl")
        repl = Interactive(session, [], log, said.append)
        pipe.send_text("/he\r/focus unique_ordered\r/inputs add ([2, 2],)\r/inputs add foo(\r/inputs\r/table\r"
                       "/quit\r")
        repl.run(terminal_lines(["unique_ordered"], tmp_path / "history"))
        log.close()
    text = "\n".join(said)
    assert "/accept" in text and "captured call(s) from 2 test(s)" in text
    assert "yours: (([2, 2],), {})" in text and "no candidates yet" in text
    assert "error: /inputs add takes a literal argument tuple" in text   # not a literal: said, session goes on
    assert [e["event"] for e in read_log(tmp_path / "out" / "session.jsonl")].count("command") == 7


# -- whole sessions through the command line -------------------------------------------------

FAST = "A dict keeps first-seen order.\n```python\ndef unique_ordered(items):\n    return list(dict.fromkeys(items))\n```"
WRONG = "def unique_ordered(items):\n    return sorted(set(items))\n"
SNEAKY = ("def unique_ordered(items):\n    return list(dict.fromkeys(items)) if -7 not in items else items\n")
RIGHT = ("def unique_ordered(items):\n    seen = set()\n    out = []\n    for item in items:\n"
         "        if item not in seen:\n            seen.add(item)\n            out.append(item)\n    return out\n")


def _session(repo: Path, script: str, *flags, env=None) -> subprocess.CompletedProcess:
    import os

    env = {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, **(env or {})}
    return subprocess.run([sys.executable, "-m", "optimizer", "session", str(repo), "--search-seconds", "0",
                           "--no-second-opinion", "--rounds", "3", *flags], input=script, capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.mark.slow
def test_a_scripted_session_steers_judges_accepts_undoes_and_resumes(tmp_path, fake_openai):
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    server = fake_openai([FAST])
    out = tmp_path / "run"
    script = "\n".join(["/focus unique_ordered", "/hint keep the order of first appearance", "/gen 1",
                        "/try", WRONG.rstrip("\n"), ".", "/try", RIGHT.rstrip("\n"), ".",
                        "/inputs add ([-7, -7],)", "/try", SNEAKY.rstrip("\n"), ".", "/table",
                        "/accept c3", "/accept c4", "/undo", "/quit"]) + "\n"
    r = _session(repo, script, "--model", "openai/fake-model", "--api-base", server.base_url, "--sandbox",
                 "process", "--out", out)
    assert r.returncode == 0, r.stderr + r.stdout
    said = r.stdout
    assert "captured call(s) from" in said
    # the model was asked with the hint
    assert any("keep the order of first appearance" in m["content"] for req in server.requests
               for m in req["messages"])
    rows = {e["id"]: e for e in read_log(out / "session.jsonl") if e["event"] == "candidate"}
    origins = {e["origin"] for e in rows.values()}
    assert "openai/fake-model" in origins and "you" in origins and any(o.startswith("pattern:") for o in origins)
    assert len(rows) == 5   # c1-c2: the model's answer and the catalog's list-as-set (hoist-bound-method
    # is not offered on 3.11, so no chain either); c3-c5: typed
    # c5 passes the tests and every captured call; the call the person added shows it wrong
    assert rows["c5"]["status"] == "rejected" and "given call" in rows["c5"]["reason"], rows["c5"]["reason"]
    assert "the same outcome on" in rows["c4"]["reason"]
    wrong, right = rows["c3"], rows["c4"]
    assert wrong["source"].strip() == WRONG.strip() and wrong["status"] == "rejected" and "tests failed" in \
        wrong["reason"]
    assert right["status"] == "passed" and right["measurement"]["ci"][0] > 1.05
    assert "c3 is rejected: only a verified, significantly faster candidate can be accepted" in said
    assert "accepted c4: " in said and "undone: deleted branch optimize/unique_ordered" in said
    assert "optimize/unique_ordered" not in run_git(repo, "branch", "--list")
    assert "seen = []" in (repo / "pkg" / "core.py").read_text()          # the working tree untouched
    assert "**> `/accept c4`**" in (out / "session.md").read_text()

    # Resume: the judged candidates come back; a passed one can be accepted now.
    r = _session(repo, "/table\n/accept c4\n/quit\n", "--resume", str(out), "--sandbox", "process")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "resumed: 5 candidate(s), focus unique_ordered" in r.stdout
    assert "accepted c4: " in r.stdout and "optimize/unique_ordered" in run_git(repo, "branch", "--list")
    events = [e["event"] for e in read_log(out / "session.jsonl")]
    assert events.count("start") == 2 and "resume" in events and events[-1] == "end"
    listed = subprocess.run([sys.executable, "-m", "optimizer", "runs", str(repo), "--json"], capture_output=True,
                            text=True, timeout=60)
    [session] = json.loads(listed.stdout)   # one session, resumed: one row in the history
    assert session["kind"] == "session" and session["status"] == "completed" and session["calls"] == 0
    [target] = session["targets"]
    assert target["target"] == "pkg.core.unique_ordered" and target["fate"] == "kept" and target["origin"] == "you"
    assert target["speedup"] == right["measurement"]["speedup"]


def test_bad_session_input_is_one_line_and_exit_2(tmp_path):
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    r = _session(repo, "", "--script", tmp_path / "missing.txt")
    assert r.returncode == 2 and r.stderr.strip().endswith("no such file") and r.stdout == ""
    r = _session(repo, "", "--resume")
    assert r.returncode == 2 and "no earlier session of" in r.stderr and r.stdout == ""


def test_a_wrong_command_is_said_and_the_session_goes_on(tmp_path):
    repo = make_repo(tmp_path / "r", SLOW_REPO)
    r = _session(repo, "/frobnicate\n/gen\n/focus nosuch\n/table\n/quit\n")
    assert r.returncode == 0, r.stderr
    assert "unknown command '/frobnicate'; /help lists them" in r.stdout
    assert "error: no function in focus: /focus NAME first" in r.stdout
    assert "error: no function 'nosuch' in the repository" in r.stdout
    assert "no candidates yet" in r.stdout
    assert json.loads((Path(r.stdout.strip().splitlines()[-1].split(": ", 1)[1])).read_text().splitlines()[-1])[
        "event"] == "end"
