"""The offline catalog on the corpus of slow functions in `case_studies/catalog`.

    python benchmarks/catalog_corpus.py [--only text.unique_words] [--out FILE] [--markdown]
                                        [--reports DIR] [--timeout SECONDS]

For each function of the corpus, runs the real CLI, one function at a time:

    optimize case_studies/catalog --target catalog_demo.<module>.<function> --json <tmp>/<name>.json --sandbox auto

and reads its JSON report. Prints a table: the function, the pattern its slow
spot was written for, the patterns tried (the candidates' origins), the kept
pattern or none, its speedup on the function's calls [95% interval] and end to
end (bench.py), the run's wall time, and why nothing was kept when nothing was.
Then the summary line "kept a verified speedup on N of M functions".
`--out FILE` also writes the rows as JSON; `--markdown` prints the table as
Markdown (for the case study's README).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPO = ROOT / "case_studies" / "catalog"
PACKAGE = "catalog_demo"

# module.function -> the catalog pattern its slow spot is written for.
CORPUS: dict[str, str] = {
    "text.unique_words": "list-as-set",
    "text.word_counts": "dict-count-to-counter",
    "text.count_error_lines": "hoist-regex-compile",
    "text.render_csv": "join-string-concat",
    "records.batch_status": "emptiness-to-any",
    "records.join_orders": "nested-loop-join-to-dict",
    "records.revenue_for_skus": "membership-list-to-set",
    "records.skus_in_stock": "append-loop-to-comprehension",
    "graph.hop_distances": "deque-queue",
    "graph.grid_routes": "memoize-pure-recursion",
    "metrics.count_above_average": "hoist-invariant-call",
    "metrics.scaled_total": "range-len-to-iteration",
    "metrics.to_fahrenheit": "map-lambda-to-comprehension",
    "metrics.price_range": "sorted-index-to-min-max",
}


def _short(origin: str) -> str:
    return origin.split(":", 1)[1] if origin.startswith("pattern:") else origin


def _pick(only: list[str] | None) -> list[str]:
    """The corpus names to run: all, or those named by --only (`text.f`, `catalog_demo.text.f`, `f`)."""
    if not only:
        return list(CORPUS)
    picked = []
    for spec in only:
        spec = spec.removeprefix(PACKAGE + ".")
        matches = [n for n in CORPUS if spec in (n, n.split(".", 1)[1])]
        if len(matches) != 1:
            sys.exit(f"catalog_corpus: {spec!r} is not one corpus function; known: {', '.join(CORPUS)}")
        picked.extend(m for m in matches if m not in picked)
    return picked


def _why_none(report: dict) -> str:
    """Plain words for a run that kept nothing."""
    rejected = [c for c in report.get("candidates", []) if c.get("status") != "kept"]
    if rejected:
        return "; ".join(f"{_short(c['origin'])}: {c.get('reason', '')}" for c in rejected)
    notes = [n for n in report.get("notes", []) if not n.startswith("noisy machine")]
    if notes:
        return "; ".join(notes)
    return "no catalog pattern applies"


def run_one(name: str, reports: Path, timeout: float) -> dict:
    """Optimize one corpus function with the real CLI; one row of the table."""
    target = f"{PACKAGE}.{name}"
    report_file = reports / f"{name}.json"
    report_file.unlink(missing_ok=True)
    command = [str(Path(sys.executable).with_name("optimize")), str(REPO), "--target", target,
               "--json", str(report_file), "--sandbox", "auto"]
    row: dict = {"function": name, "target": target, "intended": CORPUS[name], "tried": [],
                 "kept": None, "speedup": None, "ci": None, "end_to_end": None, "end_to_end_ci": None,
                 "seconds": None, "reason": "", "exit_code": None, "status": None,
                 "report": str(report_file)}
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        row["seconds"] = round(time.perf_counter() - start, 1)
        row["reason"] = f"optimize did not finish within {timeout:g} s"
        return row
    row["seconds"] = round(time.perf_counter() - start, 1)
    row["exit_code"] = done.returncode
    try:
        report = json.loads(report_file.read_text())
    except (OSError, ValueError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        row["reason"] = f"optimize exited {done.returncode} without a report: {tail[0]}"
        return row
    row["status"] = report.get("status")
    row["tried"] = list(dict.fromkeys(_short(c["origin"]) for c in report.get("candidates", [])))
    kept = [k for k in report.get("kept", []) if k.get("target") == target] or report.get("kept", [])
    if kept:
        best = max(kept, key=lambda k: k["speedup"])
        row["kept"] = _short(best["origin"])
        row["speedup"] = best["speedup"]
        row["ci"] = best["ci"]
        bench = (best.get("measurement") or {}).get("bench")
        if bench:
            row["end_to_end"] = bench.get("speedup")
            row["end_to_end_ci"] = bench.get("ci")
    else:
        row["reason"] = _why_none(report)
        if done.returncode != 0:
            row["reason"] = f"optimize exited {done.returncode}; " + row["reason"]
    return row


def _times(value: float | None, ci: list | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}x"
    return text + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def _cells(row: dict, width: int | None) -> list[str]:
    reason = row["reason"]
    if width and len(reason) > width:
        reason = reason[: width - 3] + "..."
    return [row["function"], row["intended"], ", ".join(row["tried"]) or "-", row["kept"] or "none",
            _times(row["speedup"], row["ci"]), _times(row["end_to_end"], row["end_to_end_ci"]),
            f"{row['seconds']:.0f}" if row["seconds"] is not None else "-", reason]


HEADERS = ["function", "written for", "patterns tried", "kept", "speedup [95% CI]", "end to end",
           "wall s", "why none kept"]


def plain_table(rows: list[dict]) -> str:
    cells = [HEADERS] + [_cells(r, 100) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(HEADERS))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[dict]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for r in rows:
        c = _cells(r, 200)
        c[0], c[1] = f"`{c[0]}`", f"`{c[1]}`"
        if r["kept"]:
            c[3] = f"`{c[3]}`"
        lines.append("| " + " | ".join(cell(x) for x in c) + " |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    kept = sum(1 for r in rows if r["kept"])
    return f"kept a verified speedup on {kept} of {len(rows)} functions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this corpus function (module.function, e.g. text.unique_words); repeatable")
    parser.add_argument("--out", type=Path, help="also write the rows and the summary here as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--reports", type=Path,
                        help="keep each run's JSON report and patches in this folder (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per function (1800)")
    args = parser.parse_args()
    names = _pick(args.only)
    rows = []
    with tempfile.TemporaryDirectory(prefix="catalog_corpus-") as tmp:
        reports = args.reports or Path(tmp)
        reports.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names, 1):
            print(f"[{i}/{len(names)}] {name} ...", file=sys.stderr, flush=True)
            row = run_one(name, reports.resolve(), args.timeout)
            if not args.reports:
                row["report"] = None            # the temporary folder is gone afterwards
            outcome = f"kept {row['kept']} {_times(row['speedup'], row['ci'])}" if row["kept"] else "none kept"
            print(f"      {outcome} ({row['seconds']} s)", file=sys.stderr, flush=True)
            rows.append(row)
    print(markdown_table(rows) if args.markdown else plain_table(rows))
    print()
    print(summary(rows))
    if args.out:
        figures = {
            "summary": summary(rows),
            "kept": sum(1 for r in rows if r["kept"]),
            "functions": len(rows),
            "total_seconds": round(sum(r["seconds"] or 0 for r in rows), 1),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform()},
            "date": time.strftime("%Y-%m-%d"),
            "rows": rows,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
