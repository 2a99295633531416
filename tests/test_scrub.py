"""What flows back from a candidate's runs: redacted, without control characters, capped,
and shown on the terminal as text, never as markup."""
from __future__ import annotations

import io

from rich.console import Console

from optimizer.model import Candidate, Outcome, Report, Target
from optimizer.report import View
from optimizer.scrub import REDACTED, clean

TARGET = Target("pkg/core.py", "pkg.core", "f", 1, 2, 0, 10, "def f():\n    pass\n", "")


def test_secret_environment_values_are_redacted_wherever_they_appear():
    env = {"MY_SERVICE_API_KEY": "k3y-value-123456", "DB_PASSWORD": "hunter2hunter2", "LANG": "C.UTF-8",
           "GIT_AUTHOR_NAME": "Ada Lovelace"}
    text = "expected 1, got 'k3y-value-123456' and hunter2hunter2; C.UTF-8 by Ada Lovelace"
    assert clean(text, environ=env) == (f"expected 1, got '{REDACTED}' and {REDACTED}; C.UTF-8 by Ada Lovelace")


def test_credential_shapes_are_redacted_whatever_their_source():
    key_block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----"
    for secret in ("sk-proj-" + "a" * 40, "sk-ant-api03-" + "B" * 30, "ghp_" + "x" * 36, "AKIAIOSFODNN7EXAMPLE",
                   "xoxb-1234567890-abcdef", "AIza" + "c" * 35, "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig_nature",
                   key_block):
        cleaned = clean(f"tests failed: test_x (AssertionError: {secret} != 3)", environ={})
        assert secret not in cleaned and REDACTED in cleaned, secret
        assert cleaned.startswith("tests failed: test_x (AssertionError: ")


def test_ordinary_reasons_pass_through_unchanged():
    reason = ("returns a different value on captured call #3 (['a', 'b']): expected [1, 2], got [2, 1]; "
              "sha 3f2a9c0d1e and ids 0123456789abcdef stay")
    assert clean(reason, environ={}) == reason


def test_control_characters_and_escape_sequences_are_removed():
    text = "bad\x1b[2J\x1b[31mred\x1b[0m\x1b]0;title\x07 bell\x07 nul\x00 \r\ndone\ttab"
    assert clean(text, environ={}) == "badred bell nul \ndone\ttab"


def test_long_text_keeps_head_and_tail_within_the_cap():
    text = "HEAD" + "x" * 100_000 + "TAIL"
    cleaned = clean(text, 600, environ={})
    assert cleaned.startswith("HEAD") and cleaned.endswith("TAIL") and len(cleaned) < 700
    assert "characters left out" in cleaned


def test_an_outcome_is_cleaned_when_made(monkeypatch):
    monkeypatch.setenv("OPTIMIZE_TEST_TOKEN", "tok-abcdef-987654")
    outcome = Outcome(Candidate(TARGET, "m", "def f():\n    pass\n"), "rejected",
                      "crashed: tok-abcdef-987654\x1b[2J", trace="block 1\x07 " + "y" * 50_000)
    assert outcome.reason == f"crashed: {REDACTED}"
    assert "\x07" not in outcome.trace and len(outcome.trace) < 7000
    report = Report(repo="r", model=None, outcomes=[outcome], notes=["note tok-abcdef-987654"])
    assert "tok-abcdef-987654" not in str(report.to_json())


def test_markup_in_a_reason_is_shown_as_text_and_does_not_crash_the_view():
    """A reason quoting '[/]' crashed the run with exit 1; '[bold red]' must not style the terminal."""
    out = io.StringIO()
    view = View(Console(file=out, force_terminal=False, width=200))
    outcome = Outcome(Candidate(TARGET, "model[/]", "def f():\n    pass\n"), "rejected",
                      "tests failed: [/] and [bold red]LOUD[/bold red] and [link=http://x]y[/link]")
    view.stage("verifying model[/] ([/bold])")
    view.judged(outcome)
    view.note("a note with [/] in it")
    view.close(Report(repo="r", model=None, outcomes=[outcome]))
    text = out.getvalue()
    assert "[/] and [bold red]LOUD[/bold red]" in text and "model[/]" in text and "a note with [/]" in text
