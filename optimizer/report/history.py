"""The history of runs on this machine: an SQLite index (the standard library's sqlite3)
in the tool's home, `history.sqlite3`, written as each run or review ends, whatever
folder its report went to (--out, --json). `optimize runs` queries it; `optimize show`
finds the last run through it.

The index holds a summary of each report (when, which repository and revision, the
targets and their fates, the cost), so history survives a deleted run folder; the
report file itself stays the full record. Reports in the runs folder that the index
does not know (written before it existed, or by a run that died before indexing) are
added on the next query. Writers and readers may be concurrent (two runs ending at
once, the suite's parallel workers): each write is one transaction, and SQLite's lock
waits up to `TIMEOUT` seconds.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..home import home, runs_dir

SCHEMA = 1
TIMEOUT = 30.0

_TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    report TEXT PRIMARY KEY,      -- the report file's absolute path (report.json, review.json, session.jsonl)
    kind TEXT NOT NULL,           -- "run", "review" or "session"
    started TEXT, repo TEXT, revision TEXT, status TEXT, duration_s REAL,
    model TEXT, calls INTEGER, cost_usd REAL, indexed_at REAL
);
CREATE TABLE IF NOT EXISTS targets (
    report TEXT NOT NULL REFERENCES runs(report) ON DELETE CASCADE,
    target TEXT NOT NULL,
    fate TEXT,                    -- "kept" ("suggested" in a review), "nothing kept", "skipped"
    origin TEXT, speedup REAL, ci_low REAL, ci_high REAL
);
CREATE INDEX IF NOT EXISTS runs_repo ON runs(repo, started);
CREATE INDEX IF NOT EXISTS targets_target ON targets(target);
"""


@dataclass
class TargetRow:
    target: str
    fate: str
    origin: str = ""
    speedup: float | None = None
    ci: tuple[float, float] | None = None


@dataclass
class RunRow:
    report: str
    kind: str
    started: str
    repo: str
    revision: str | None
    status: str
    duration_s: float | None
    model: str | None
    calls: int
    cost_usd: float
    targets: list[TargetRow] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return Path(self.report).is_file()


def index_path() -> Path:
    return home() / "history.sqlite3"


def _connect() -> sqlite3.Connection:
    path = index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=TIMEOUT)
    db.execute("PRAGMA foreign_keys = ON")
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
        with db:
            db.executescript(_TABLES)
            db.execute(f"PRAGMA user_version = {SCHEMA}")
    return db


def record_run(report_path: Path, data: dict) -> None:
    """Index a run's report.json (its content `data`)."""
    meta = data.get("meta", {})
    targets = _run_targets(data)
    row = RunRow(str(report_path.resolve()), "run", meta.get("started", ""), data.get("repo", ""),
                 meta.get("git_revision"), data.get("status", ""), meta.get("duration_s"), data.get("model"),
                 int(data.get("llm", {}).get("calls") or 0), float(data.get("llm", {}).get("cost_usd") or 0.0), targets)
    _write(row)


def record_review(report_path: Path, data: dict, repo: str, started: str, revision: str | None,
                  model: str | None, llm: dict) -> None:
    """Index a review's review.json: its suggestions count as kept."""
    targets = [TargetRow(s["name"] if "name" in s else s.get("target", ""), "suggested", s.get("origin", ""),
                         s.get("speedup"), tuple(s["ci"]) if s.get("ci") else None)
               for s in data.get("suggestions", [])]
    suggested = {t.target for t in targets}
    for r in data.get("results", []):
        if r.get("name") not in suggested:
            targets.append(TargetRow(r["name"], "skipped" if r.get("skipped") else "nothing suggested"))
    _write(RunRow(str(report_path.resolve()), "review", started, repo, revision, data.get("status", ""),
                  data.get("duration_s"), model, int(llm.get("calls") or 0), float(llm.get("cost_usd") or 0.0),
                  targets))


def record_session(log_path: Path, events: list[dict], llm: dict | None = None) -> None:
    """Index an interactive session from its session.jsonl events (interactive.read_log):
    the candidates it judged and the ones accepted (and not undone) as kept. A session
    resumed later appends to the same log and is indexed again, as one row."""
    start = next((e for e in events if e.get("event") == "start"), None)
    if start is None:
        return
    origins, accepted, names = {}, {}, []
    for e in events:
        kind, target = e.get("event"), e.get("target")
        if target and target not in names and kind in ("focus", "candidate"):
            names.append(target)
        if kind == "candidate":
            origins[e.get("id")] = e.get("origin", "")
        elif kind == "accept":
            accepted[target] = e
        elif kind == "undo":
            accepted.pop(target, None)
    rows = []
    for name in names:
        e = accepted.get(name)
        rows.append(TargetRow(name, "kept", origins.get(e.get("id"), ""), e.get("speedup"),
                              tuple(e["ci"]) if e.get("ci") else None) if e else TargetRow(name, "nothing kept"))
    last = events[-1]
    status = "completed" if last.get("event") == "end" else "interrupted"
    started = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start.get("t", 0)))
    llm = llm or {}
    _write(RunRow(str(log_path.resolve()), "session", started, start.get("repo", ""), None, status,
                  round(last.get("t", 0) - start.get("t", 0), 1), start.get("model"), int(llm.get("calls") or 0),
                  float(llm.get("cost_usd") or 0.0), rows))


def record_failure(log_path: Path, repo: str, started: str = "") -> None:
    """Index a run that failed: its error.log stands for the report."""
    started = started or time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(log_path.stat().st_mtime))
    _write(RunRow(str(log_path.resolve()), "run", started, repo, None, "failed", None, None, 0, 0.0))


def _run_targets(data: dict) -> list[TargetRow]:
    kept = {k["target"]: k for k in data.get("kept", [])}
    names = list(data.get("targets") or dict.fromkeys(c["target"] for c in data.get("candidates", [])))
    names += [name for name in kept if name not in names]
    rows = []
    for name in names:
        info = (data.get("targets") or {}).get(name, {})
        k = kept.get(name)
        if k:
            ci = tuple(k["ci"]) if k.get("ci") else None
            rows.append(TargetRow(name, "kept", k.get("origin", ""), k.get("speedup"), ci))
        else:
            rows.append(TargetRow(name, "skipped" if info.get("skipped") else "nothing kept"))
    return rows


def _write(row: RunRow) -> None:
    db = _connect()
    try:
        with db:
            db.execute("DELETE FROM runs WHERE report = ?", (row.report,))
            db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (row.report, row.kind, row.started, row.repo, row.revision, row.status, row.duration_s,
                        row.model, row.calls, row.cost_usd, time.time()))
            db.executemany("INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(row.report, t.target, t.fate, t.origin, t.speedup, *(t.ci or (None, None)))
                            for t in row.targets])
    finally:
        db.close()


def runs(repo: str | None = None, target: str | None = None, limit: int | None = None) -> list[RunRow]:
    """The indexed runs, newest first; `repo`: only those on this folder; `target`: only
    those that worked on a target whose dotted name is `target` or ends with `.target`."""
    backfill()
    db = _connect()
    try:
        where, args = [], []
        if repo:
            where.append("repo = ?")
            args.append(repo)
        if target:
            where.append("report IN (SELECT report FROM targets WHERE target = ? OR target LIKE ? ESCAPE '\\')")
            args += [target, "%." + target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")]
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + \
              " ORDER BY started DESC, indexed_at DESC" + (" LIMIT ?" if limit else "")
        rows = [RunRow(*r[:10]) for r in db.execute(sql, args + ([limit] if limit else []))]
        for row in rows:
            row.targets = [TargetRow(t, fate, origin or "", speedup, (lo, hi) if lo is not None else None)
                           for t, fate, origin, speedup, lo, hi in db.execute(
                               "SELECT target, fate, origin, speedup, ci_low, ci_high FROM targets "
                               "WHERE report = ? ORDER BY rowid", (row.report,))]
        return rows
    finally:
        db.close()


def backfill() -> int:
    """Index the runs folder's reports the index does not know; how many were added.
    An unreadable report is skipped (it is not a run this tool can describe)."""
    folder = runs_dir()
    if not folder.is_dir():
        return 0
    db = _connect()
    try:
        known = {r[0] for r in db.execute("SELECT report FROM runs")}
    finally:
        db.close()
    added = 0
    for log in sorted(folder.glob("*/error.log")):
        if str(log.resolve()) not in known and not (log.parent / "report.json").is_file():
            record_failure(log, "")
            added += 1
    for log in sorted(folder.glob("*/session.jsonl")):
        if str(log.resolve()) not in known:
            from ..interactive import read_log

            record_session(log, read_log(log))
            added += 1
    for path in sorted(folder.glob("*/report.json")):
        if str(path.resolve()) in known:
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "candidates" in data:
            record_run(path, data)
            added += 1
    return added
