"""Every route of issue #11, served by a scripted model through the real CLI, on both backends.

A fake OpenAI-compatible server on 127.0.0.1 answers with the cheating candidates
(tests/hostile.py `routes`) and one correct, really faster rewrite. Two model
rounds, so rejected near-misses go back to the "model" in repair prompts: the
channel through which a candidate would carry data out. The run must:
- reject every cheat, with a reason naming its route, and keep the honest rewrite;
- change no file outside its workspace (a sentinel, the user's repository);
- let nothing reach a listener, TCP or Unix socket;
- show no secret (the API key, a secret variable, a planted file outside the
  repository) in any prompt, report, patch or output, and no escape sequence.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import uuid
from pathlib import Path

import pytest

import sandboxes
from hostile import SECRET_NAME, Place, routes
from repos import SLOW_REPO, make_repo, tree_state
from test_end_to_end import FAST, cli_env, optimize

pytestmark = pytest.mark.slow

needs_bwrap = pytest.mark.skipif(bool(sandboxes.bwrap_problem()) and not os.environ.get("OPTIMIZE_REQUIRE_BWRAP"),
                                 reason="bubblewrap does not work here")


class Listeners:
    """A TCP listener on 127.0.0.1 and a Unix socket listener outside /tmp; each counts
    the bytes anyone sends it."""

    def __init__(self, folder: Path):
        self.received = 0
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.unix_path = folder / "agent.sock"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(str(self.unix_path))
        self.unix.listen()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in (self.tcp, self.unix)]
        for t in self._threads:
            t.start()

    @property
    def port(self) -> int:
        return self.tcp.getsockname()[1]

    def _serve(self, server):
        server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received += 1 + len(conn.recv(1 << 16))
            except OSError:
                self.received += 1
            conn.close()

    def close(self):
        self._stop.set()
        for t in self._threads:
            t.join()
        self.tcp.close()
        self.unix.close()


@pytest.fixture
def outside_tmp():
    """A folder outside /tmp (the sandbox's /tmp is private anyway): planted secrets and host sockets."""
    folder = Path("/var/tmp") / f"optimize-hostile-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("backend", ["process", pytest.param("bwrap", marks=needs_bwrap)])
def test_every_route_is_refused_and_nothing_leaves(tmp_path, outside_tmp, fake_openai, backend):
    api_key, secret, planted_secret = (f"sk-{uuid.uuid4().hex}{uuid.uuid4().hex}", f"hostile-{uuid.uuid4().hex}",
                                       f"planted-{uuid.uuid4().hex}")
    repo = make_repo(tmp_path / "repo", SLOW_REPO)
    outside = tmp_path / "outside"
    outside.mkdir()
    sentinel = outside / "precious.txt"
    sentinel.write_text("keep me")
    planted = outside_tmp / "planted.txt"
    planted.write_text(planted_secret)
    listeners = Listeners(outside_tmp)
    place = Place(outside, sentinel, repo, listeners.port, listeners.unix_path, planted)
    cheats = routes(place)
    answers = [f"```python\n{r.source}```" for r in cheats] + [FAST]
    server = fake_openai(answers)
    before = tree_state(repo)
    report_path = tmp_path / "out" / "report.json"
    report_path.parent.mkdir()
    try:
        r = optimize(repo, "--target", "unique_ordered", "--model", "openai/fake-model", "--api-base",
                     server.base_url, "--candidates", len(answers), "--model-rounds", 2, "--rounds", 3,
                     "--sandbox", backend, "--json", report_path,
                     env=cli_env(OPENAI_API_KEY=api_key, **{SECRET_NAME: secret}))
    finally:
        listeners.close()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["status"] == "completed" and report["sandbox"] == backend

    first_round = [c for c in report["candidates"] if c["step"] == "r1/optimize" and c["origin"] == "openai/fake-model"]
    assert len(first_round) == len(answers)
    reasons = {}
    for cheat in cheats:
        # the report keeps each candidate's code, so a user can see what was judged
        rows = [c for c in first_round if c["source"].strip() and c["source"].strip() in cheat.source]
        assert rows, f"{cheat.name} was not judged"
        reasons[cheat.name] = rows[0]["reason"]
        # Never kept; a cheat judged on its timing may end "undecided" on a busy machine
        assert rows[0]["status"] in ("rejected", "undecided"), (cheat.name, rows[0])
        assert any(n in rows[0]["reason"] for n in cheat.names), (cheat.name, rows[0]["reason"])
    # The honest rewrite is still kept: the checks are strict, not blind.
    # (verified and significantly faster; the catalog's own rewrite may be faster still)
    [honest] = [c for c in first_round if "dict.fromkeys(items)" in c["source"] and "def unique_ordered(items):\n"
                "    return" in c["source"]]
    assert honest["reason"].startswith("faster: ") and "verified: " in honest["reason"], honest["reason"]
    assert honest["ci"][0] >= 1.05 and len(report["kept"]) == 1

    # Contained: nothing outside changed, nothing received, no secret or escape anywhere.
    assert sentinel.read_text() == "keep me" and tree_state(repo) == before
    assert listeners.received == 0
    prompts = json.dumps(server.requests)
    assert len(server.requests) > len(answers)   # round 2 sent repair prompts quoting rejections
    outputs = {"prompts": prompts, "stdout": r.stdout, "stderr": r.stderr}
    outputs.update({str(p): p.read_text(errors="replace") for p in report_path.parent.rglob("*") if p.is_file()})
    for where, text in outputs.items():
        for value in (api_key, secret, planted_secret):
            assert value not in text, (where, value[:12])
        assert "\x1b[2J" not in text and "\x1b[31m" not in text, where
