"""The hostile corpus (tests/hostile.py) through the whole loop, against both backends.

With the capability check on (as in every real run), every candidate must be
rejected with a clear reason and the run must complete. With it off, each
backend must contain what it claims on its own: bwrap everything, the process
backend its limits, environment and timeouts. Either way: nothing outside the
workspace changed, no connection made, no secret written anywhere.
"""
from __future__ import annotations

import os
import socket
import threading
import uuid

import pytest

import sandboxes
from hostile import SECRET_NAME, Place, build
from optimizer.settings import RunSettings as RunConfig
from optimizer.measure.runner import MeasureSettings
from optimizer.model import Report
from repos import SLOW_REPO, make_repo, tree_state
from sandboxes.cgroup import PidsGroup
from doubles import QueueProposer, quiet_view, run_repo

pytestmark = pytest.mark.slow

HAS_BWRAP = not sandboxes.bwrap_problem()
HAS_PIDS_CGROUP = (lambda g: bool(g) and (g.close() or True))(PidsGroup.make(8))
needs_bwrap = pytest.mark.skipif(not HAS_BWRAP and not os.environ.get("OPTIMIZE_REQUIRE_BWRAP"),
                                 reason="bubblewrap does not work here")


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it gets."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def arena(tmp_path, monkeypatch):
    secret = f"sk-hostile-{uuid.uuid4().hex}"
    monkeypatch.setenv(SECRET_NAME, secret)
    repo = make_repo(tmp_path / "repo", SLOW_REPO)
    outside = tmp_path / "outside"
    outside.mkdir()
    sentinel = outside / "precious.txt"
    sentinel.write_text("keep me")
    listener = Listener()
    yield Place(outside, sentinel, repo, listener.port), listener, secret, tmp_path
    listener.close()


def run_corpus(arena, backend: str, hostile: list, check: bool = True) -> Report:
    place, listener, secret, tmp_path = arena
    before = tree_state(place.repo)
    config = RunConfig(repo=place.repo, out_dir=tmp_path / "out", target="unique_ordered",
                       candidates=len(hostile), sandbox=backend, check_capabilities=check,
                       measure=MeasureSettings(rounds=3, max_rounds=6))
    report = run_repo(config, [QueueProposer([h.source for h in hostile])])

    assert report.status == "completed" and report.sandbox == backend
    # Never kept; one judged on its timing may end "undecided" on a busy machine
    assert report.kept == [] and all(o.status in ("rejected", "undecided") for o in report.outcomes)
    assert len(report.outcomes) == len(hostile)
    # Contained: nothing outside the workspace changed, no connection, no secret anywhere.
    assert place.sentinel.read_text() == "keep me"
    assert tree_state(place.repo) == before
    assert listener.connections == 0
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert leaked == [] and not any(secret in o.reason or secret in (o.trace or "") for o in report.outcomes)
    return report


def reasons(report: Report, hostile: list) -> dict[str, str]:
    return {h.name: report.outcomes[int(o.candidate.origin.split("#")[1])].reason
            for h in hostile for o in report.outcomes if o.candidate.source == h.source}


@pytest.mark.parametrize("backend", ["process", pytest.param("bwrap", marks=needs_bwrap)])
def test_every_hostile_candidate_is_rejected_with_a_clear_reason(arena, backend):
    hostile = build(arena[0])
    why = reasons(run_corpus(arena, backend, hostile), hostile)
    for h in hostile:
        if h.capability:
            assert why[h.name].startswith("uses ") and h.capability in why[h.name], (h.name, why[h.name])
        elif h.contained_by == "timeout":
            assert "timed out" in why[h.name], (h.name, why[h.name])
        else:
            # on a loaded machine a memory bomb may meet its timeout before the memory limit
            assert "out of memory" in why[h.name] or "timed out" in why[h.name], (h.name, why[h.name])


@needs_bwrap
def test_bwrap_alone_contains_the_whole_corpus(arena):
    """The capability check off: the sandbox is the only line, and holds."""
    hostile = build(arena[0])
    why = reasons(run_corpus(arena, "bwrap", hostile, check=False), hostile)
    for h in hostile:
        # The user's repository path shows the candidate's own copy: that write lands there
        # (run_corpus checks the real repository is untouched); the rest are refused outright.
        if h.contained_by in ("files", "network") and h.name != "write-user-repo":
            assert why[h.name].startswith("tests failed") and "Error" in why[h.name], (h.name, why[h.name])
    assert "process limit" in why["fork-bomb"]
    assert "changed what judges it" in why["overwrite-tests"]
    assert "without the results" in why["exit-early"] and "forged" in why["forge-verdict"]
    assert "timed out" in why["infinite-loop"] and "timed out" in why["sleep-forever"]
    assert "out of memory" in why["memory-bomb"] or "timed out" in why["memory-bomb"]


def test_process_backend_alone_contains_what_it_claims(arena):
    """Limits, environment, timeouts, and the checks after the fact; not files or network."""
    claimed = ("environment", "limits", "timeout", "integrity", "measurement")
    hostile = [h for h in build(arena[0]) if h.contained_by in claimed
               and (h.name != "fork-bomb" or HAS_PIDS_CGROUP)]
    why = reasons(run_corpus(arena, "process", hostile, check=False), hostile)
    assert "changed what judges it" in why["overwrite-tests"]
    assert "without the results" in why["exit-early"] and "forged" in why["forge-verdict"]
    assert "timed out" in why["infinite-loop"]
    assert "out of memory" in why["memory-bomb"] or "timed out" in why["memory-bomb"]
