"""Test doubles for the engine's seams (optimizer/protocols.py), and a one-call way to
run the engine over a repository the way `optimize run` does."""
from __future__ import annotations

import io

from rich.console import Console

from optimizer.model import Candidate, Kept
from optimizer.report import View
from optimizer.run import run
from optimizer.session import Session


class QueueProposer:
    """Hands out a fixed list of candidate sources, like a model with canned answers, once."""

    name = "queue"
    trusted = False
    iterative = False
    usage = None
    suggest_inputs = None

    def __init__(self, sources):
        self.sources = sources

    def propose(self, target, context, k):
        return [Candidate(target, f"queue#{i}", src) for i, src in enumerate(self.sources)][:k]


class ListKeeper:
    """Keeps nothing on disk: remembers what it was asked to keep."""

    def __init__(self):
        self.kept = []

    def keep(self, result):
        self.kept.append(result)
        w = result.winner
        return Kept(result.target, w.candidate, w.measurement, "", None, "")


class RecordingEvents:
    """Remembers every event, in order, as (kind, value)."""

    def __init__(self):
        self.events = []

    def stage(self, text):
        self.events.append(("stage", text))

    def note(self, text):
        self.events.append(("note", text))

    def candidates(self, target, total):
        self.events.append(("candidates", total))

    def judged(self, outcome):
        self.events.append(("judged", outcome))

    def target_done(self, result):
        self.events.append(("target_done", result))

    def hotspots(self, hotspots):
        self.events.append(("hotspots", hotspots))


def quiet_view() -> View:
    return View(Console(file=io.StringIO(), force_terminal=False))


def run_repo(settings, proposers, view=None, **kwargs):
    """`optimize run` in-process: a Session over settings.repo, run to a Report."""
    with Session(settings, events=view or quiet_view()) as session:
        return run(session, proposers, **kwargs)
