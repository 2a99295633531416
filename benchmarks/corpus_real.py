"""The corpus of real bugs (tests/corpus_real/): which input technique, alone, catches
each wrong candidate, and what it costs.

    python benchmarks/corpus_real.py [--json benchmarks/results/corpus_real.json] [--library NAME ...]

For each vendored library it builds a real git repository, captures the original under
the library's own tests and its bench.py, and records the original's outcomes once per
target (captured + generated calls, and whatever other kinds the engine records). Then,
for every candidate, it judges it with one technique at a time:

  tests       the library's own tests for the target, and nothing else;
  <origin>    the replay of the recorded calls of that origin alone ("captured": calls
              made by the tests and the bench; "generated": the edge cases; any origin
              the engine adds later appears as its own column, grouped by the "origin"
              field of each recorded call), without the tests;
  search      the engine's per-candidate search for diverging inputs (CrossHair, the
              candidate's new literals, a model's suggestions; --search-seconds), whose
              calls are then replayed one origin at a time too ("crosshair", "literal",
              "model" columns);
  all         verify() without the per-candidate search: tests, every recorded call,
              the evidence check (what the test suite checks, load-independent);
  cli         verify() with the search, as the CLI runs it by default.

It prints a table (per wrong candidate: caught or not by each technique; per target: the
seconds each technique took per candidate, and the one-off recording) and writes JSON.
The seconds of recording are shared by all origins: generating and recording inputs is
one step of the engine today.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import corpus_real  # noqa: E402
from sandboxes import get_sandbox  # noqa: E402


def run(libraries: list[str], search_seconds: float) -> dict:
    sandbox = get_sandbox()[0]
    out = {"candidates": [], "targets": {}}
    for library in libraries:
        with tempfile.TemporaryDirectory() as tmp:
            prepared = corpus_real.prepare(library, Path(tmp) / "repo", sandbox)
            try:
                _judge_library(prepared, library, out, search_seconds)
            finally:
                prepared.ws.close()
    return out


def _judge_library(prepared, library: str, out: dict, search_seconds: float) -> None:
    for spec, t in prepared.targets.items():
        b = prepared.baselines[t.name]
        out["targets"][spec] = {
            "library": library, "tests": len(b.tests),
            "calls": {o: len(ix) for o, ix in corpus_real.origins(b).items()},
            "capture_s": round(prepared.seconds["capture"], 2),
            "record_s": round(prepared.seconds["record " + t.name], 2),
            "seconds": {},          # technique -> seconds per candidate (mean)
        }
    for case in corpus_real.cases():
        if case.library != library:
            continue
        b = prepared.baselines[prepared.targets[case.target].name]
        techniques = ["tests", *corpus_real.origins(b), "all"]
        row = {"id": case.id, "library": library, "target": case.target, "kind": case.kind,
               "about": case.about, "techniques": {}}
        for technique in techniques:
            start = time.perf_counter()
            v = corpus_real.judge(prepared, case) if technique == "all" \
                else corpus_real.judge_alone(prepared, case, technique)
            took = time.perf_counter() - start
            row["techniques"][technique] = {"caught": not v.ok, "stage": v.stage,
                                            "seconds": round(took, 2), "reason": v.reason}
            per = out["targets"][case.target]["seconds"].setdefault(technique, [])
            per.append(took)
        if search_seconds > 0:
            for origin, r in corpus_real.search_alone(prepared, case, search_seconds).items():
                row["techniques"][origin] = {"caught": r["caught"], "stage": "search", "seconds": round(r["seconds"], 2),
                                             "reason": r["reason"], "calls": r["calls"], **({"notes": r["notes"]} if "notes" in r else {})}
                out["targets"][case.target]["seconds"].setdefault(origin, []).append(r["seconds"])
        if search_seconds > 0:   # the whole check as the CLI runs it: verify() with the search
            start = time.perf_counter()
            v = corpus_real.judge(prepared, case, search_seconds=search_seconds)
            took = time.perf_counter() - start
            row["techniques"]["cli"] = {"caught": not v.ok, "stage": v.stage, "seconds": round(took, 2),
                                        "reason": v.reason}
            out["targets"][case.target]["seconds"].setdefault("cli", []).append(took)
        row["today"] = today(row)
        out["candidates"].append(row)
        print(f"  {case.id}: " + ", ".join(f"{k}={'caught' if r['caught'] else 'missed'}"
                                          for k, r in row["techniques"].items()), file=sys.stderr)
    for spec in prepared.targets:
        secs = out["targets"][spec]["seconds"]
        for k, v in list(secs.items()):
            if isinstance(v, list):
                secs[k] = round(sum(v) / len(v), 2)


def summary(data: dict) -> dict:
    wrong = [c for c in data["candidates"] if c["kind"] == "wrong"]
    kinds = sorted({k for c in data["candidates"] for k in c["techniques"]},
                   key=lambda k: (k == "cli", k == "all", k == "search", k != "tests", k))
    caught = {k: sorted(c["id"] for c in wrong if c["techniques"].get(k, {}).get("caught")) for k in kinds}
    correct = [c for c in data["candidates"] if c["kind"] == "correct"]
    return {"wrong": len(wrong), "caught_alone": {k: len(v) for k, v in caught.items()},
            "caught_ids": caught,
            "missed_by_full_check": sorted(c["id"] for c in wrong if not c["techniques"]["all"]["caught"]),
            "missed_by_every_technique": sorted(c["id"] for c in wrong
                                                if not any(r["caught"] for r in c["techniques"].values())),
            "correct": len(correct),
            "correct_rejected": sorted(c["id"] for c in correct if c["techniques"]["all"]["caught"])}


def show(data: dict) -> None:
    s = data["summary"]
    kinds = list(s["caught_alone"])
    print(f"{'wrong candidate':44}" + "".join(f"{k:>11}" for k in kinds))
    for c in data["candidates"]:
        if c["kind"] == "wrong":
            print(f"{c['id']:44}" + "".join(
                f"{('caught' if c['techniques'].get(k, {}).get('caught') else '-'):>11}" for k in kinds))
    print(f"{'caught alone (of %d)' % s['wrong']:44}" + "".join(f"{s['caught_alone'][k]:>11}" for k in kinds))
    print()
    print(f"{'target: seconds per candidate':44}" + "".join(f"{k:>11}" for k in kinds) + f"{'record':>9}")
    for spec, t in data["targets"].items():
        print(f"{spec:44}" + "".join(f"{t['seconds'][k]:>11.2f}" if k in t["seconds"] else f"{'-':>11}"
                                     for k in kinds) + f"{t['record_s']:>9.2f}")
    print()
    print(f"correct candidates: {s['correct']}, rejected by the full check: {s['correct_rejected'] or 'none'}")
    print(f"wrong candidates the full check (verify) keeps: {len(s['missed_by_full_check'])}: "
          f"{', '.join(s['missed_by_full_check'])}")
    print(f"wrong candidates no technique catches: {len(s['missed_by_every_technique'])}: "
          f"{', '.join(s['missed_by_every_technique'])}")


def today(row: dict) -> str:
    """The full check's verdict in one word: "call" (rejected naming a differing call),
    another stage's name (rejected there, e.g. "evidence"), or "kept"."""
    full = row["techniques"]["all"]
    if not full["caught"]:
        return "kept"
    return "call" if full["stage"] == "equivalence" and " call #" in full["reason"] else full["stage"]


def update_manifest(data: dict) -> None:
    """Write each candidate's caught_by and today into tests/corpus_real/manifest.toml."""
    path = corpus_real.HERE / "manifest.toml"
    blocks = path.read_text().split("[[candidate]]")
    rows = {c["id"]: c for c in data["candidates"]}
    for i, block in enumerate(blocks[1:], 1):
        lib = re.search(r'^library = "(.*)"', block, re.M).group(1)
        stem = re.search(r'^file = "(.*)\.py"', block, re.M).group(1)
        row = rows.get(f"{lib}-{stem}")
        if row is None:
            continue
        alone = [k for k, r in row["techniques"].items() if k not in ("all", "search") and r["caught"]]
        block = re.sub(r'^(caught_by|today) = .*\n', "", block, flags=re.M)
        block = block.rstrip("\n") + f"\ncaught_by = {json.dumps(alone)}\ntoday = \"{today(row)}\"\n\n"
        blocks[i] = block
    path.write_text("[[candidate]]".join(blocks).rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--library", action="append", choices=sorted(corpus_real.LIBRARIES))
    parser.add_argument("--search-seconds", type=float, default=10.0,
                        help="budget of the engine's per-candidate search for diverging inputs (CrossHair, "
                             "the candidate's literals, a model's suggestions); 0 skips it (10)")
    parser.add_argument("--update-manifest", action="store_true",
                        help="write caught_by and today per candidate into tests/corpus_real/manifest.toml")
    args = parser.parse_args()
    start = time.perf_counter()
    data = run(args.library or list(corpus_real.LIBRARIES), args.search_seconds)
    data["summary"] = summary(data)
    data["seconds"] = round(time.perf_counter() - start, 1)
    show(data)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=1) + "\n")
    if args.update_manifest:
        update_manifest(data)


if __name__ == "__main__":
    main()
