"""Model answers kept on disk: a response cache, and recorded transcripts.

- `ResponseCache`: one JSON file per answer under ~/.cache/optimize/responses
  (or $OPTIMIZE_HOME/responses), keyed by the model, the request's identity
  (mode, step, the code shown, the templates' wording; see
  `ProposalContext.identity`) and the sample index. An identical rerun then
  costs nothing and reproduces the same candidates, although measured figures
  in the prompt differ from run to run; `--no-cache` samples afresh (and
  refreshes the entries). A run's answers are also kept in its own folder
  (RUN/responses), read even with `--no-cache`: `--resume RUN` reuses them.
- `Transcript`: every answer of a run in one JSON file (`--record FILE`), in
  the order asked, keyed by target, step and sample index rather than by the
  exact prompt, so `--replay FILE` reproduces a run on another machine (where
  retrieved examples, profiles or budget lines in the prompt differ) with no
  provider at all.
"""
from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from ..home import home, write_atomically
from .base import FreshLocks


class ResponseCache:
    def __init__(self, root: Path | None = None, read: bool = True, run_root: Path | None = None):
        self.root = root or home() / "responses"
        self.read = read          # False (--no-cache): ask afresh, but store what comes back
        self.run_root = run_root  # the run's own answers (RUN/responses): read even with --no-cache, so
                                  # that --resume reuses them

    @staticmethod
    def key(model: str, request: object, sample: int) -> str:
        """request: anything JSON-able that identifies the question (ProposalContext.identity)."""
        blob = json.dumps([model, request, sample], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> dict | None:
        for root in [self.run_root] * (self.run_root is not None) + [self.root] * self.read:
            try:
                entry = json.loads((root / key[:2] / f"{key}.json").read_text())
            except (OSError, ValueError):
                continue
            if isinstance(entry, dict) and isinstance(entry.get("answer"), str):
                return entry
        return None

    def put(self, key: str, entry: dict) -> None:
        for root in [self.root] + [self.run_root] * (self.run_root is not None):
            try:
                write_atomically(root / key[:2] / f"{key}.json", json.dumps(entry).encode())
            except OSError:
                pass   # a cache that cannot be written is only a slower cache


class Transcript(FreshLocks):
    """Answers by (target, step, sample). Recording rewrites the file after each answer,
    so an interrupted run keeps what it got."""

    def __init__(self, path: Path, entries: list[dict] | None = None, model: str | None = None):
        self.path = path
        self.entries = entries or []
        self.model = model
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> "Transcript":
        """Raises ValueError with a plain message when the file is not a transcript."""
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise ValueError(f"cannot read the transcript {path}: {exc.strerror}") from None
        except ValueError:
            raise ValueError(f"{path} is not a transcript (not JSON)") from None
        if not isinstance(data, dict) or not isinstance(data.get("answers"), list):
            raise ValueError(f"{path} is not a transcript (no 'answers' list)")
        return cls(path, [e for e in data["answers"] if isinstance(e, dict)], data.get("model"))

    def get(self, target: str, step: str, sample: int) -> dict | None:
        for entry in self.entries:
            if (entry.get("target"), entry.get("step"), entry.get("sample")) == (target, step, sample):
                return entry
        return None

    def add(self, target: str, step: str, sample: int, entry: dict) -> None:
        with self._lock:
            self.entries.append({"target": target, "step": step, "sample": sample, **entry})
            try:
                data = json.dumps({"model": self.model, "answers": self.entries}, indent=1)
                write_atomically(self.path, data.encode())
            except OSError:
                pass
