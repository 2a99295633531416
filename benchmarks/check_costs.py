"""What the measurement checks of issue #11 cost: judging the timed calls, and the
cold workers that find caches by behaviour.

    python benchmarks/check_costs.py [--before REV] [--repeats 3] [--out benchmarks/results/check_costs.json]

Builds two source trees from git: "after" is HEAD, "before" is HEAD with the
measurement files put back as they were at REV (default: the commit before the
#11 measurement work). In each, on the bundled dedupe case study:

- per worker: the wall time of one timing worker process in each mode
  (calibration, warm, cold, memory), original and list->set candidate
  alternating, and (after only) the seconds the worker spent judging its kept
  results, outside the timed region;
- per candidate: the wall time of one measure() of the list->set rewrite with the
  default settings, and how many worker processes it started;
- the whole run: `optimize case_studies/dedupe --target unique_ordered`, wall time
  and the kept speedup (trees alternating).

Figures on the development machine (2 cores, shared with other jobs, bwrap
sandbox), `python benchmarks/check_costs.py --repeats 3`, before = 41d42a0^:

  timing worker, median wall s   calibrate  warm   cold   memory
  before                         0.149      0.134  0.073  0.065
  after                          0.182      0.161  0.081  0.080
  judging inside the worker      0.9 ms     1.5 ms 0.4 ms (memory: per call, outside the peak)

  So about 10-30 ms per worker process, nearly all of it start-up: the worker now
  imports bootstrap/compare.py (which imports inspect, ~13 ms) and unpickles the
  expected outcomes; the judging itself is ~1 ms, outside the timed region.

  measure() of the list->set rewrite, default settings: 1.51 s before, 2.11 s after,
  13 worker processes both (the first calls come from each warm worker's first
  pass, so no cold workers are added unless a candidate is judged on first calls;
  then it needs rounds x 3 cold workers per side, as a static cache always did).

  whole run, `optimize case_studies/dedupe --target unique_ordered` (3 candidates
  and the A/A calibration), median of 3, trees alternating: 20.3 s before,
  20.2 s after; kept 87-102x before, 85-88x after. (A first design with 3
  dedicated cold workers per side measured 2.2 s -> 3.4 s per measure() and
  19 workers instead of 13.)

The figures vary with the machine's load by some 20%; the printed table of a
fresh run gives this machine's.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "41d42a0^"   # the commit before "Measurement judges what it times ... (#11)"
MEASUREMENT_FILES = ["optimizer/measure/runner.py", "optimizer/measure/stats.py",
                     "optimizer/verify/bootstrap/timeit_worker.py"]

# Runs inside a tree (cwd), prints one JSON line: per-mode worker wall times and measure() costs.
PROBE = r'''
import json, statistics, sys, time
from pathlib import Path
from optimizer.measure import runner
from optimizer.measure.runner import MeasureSettings, measure, _run
from optimizer.target import index_repo, replace_definition, resolve
from optimizer.verify import capture
from optimizer.verify.equivalence import record_expected
from optimizer.workspace import Workspace
from sandboxes import get_sandbox

repeats = int(sys.argv[1])
FAST = ("def unique_ordered(items):\n    \"\"\"The distinct items, in the order they first appear.\"\"\"\n"
        "    seen = set()\n    out = []\n    for item in items:\n        if item not in seen:\n"
        "            seen.add(item)\n            out.append(item)\n    return out\n")
sandbox = get_sandbox()[0]
ws = Workspace(Path("case_studies/dedupe").resolve())
try:
    index = index_repo(ws.base)
    baselines, _ = capture(sandbox, ws.base, ws.scratch("run"), index, None)
    t = resolve(index, "unique_ordered")
    b = baselines[t.name]
    record_expected(sandbox, ws.base, ws.scratch("run"), b, 120)
    cand = ws.candidate_copy(t, replace_definition(ws.original_text(t), t, FAST))
    loops = int(_run(sandbox, ws.base, b, 0, 0.02, 120.0)["loops"])
    out = {"workers": {}, "check_seconds": {}, "loops": loops}
    for mode, args in (("calibrate", (0, 0.02, 120.0)), ("warm", (loops, 3, 120.0, "warm")),
                       ("cold", (1, 1, 120.0, "cold")), ("memory", (1, 1, 120.0, "memory"))):
        walls, checks = [], []
        for i in range(4 * repeats):
            start = time.monotonic()
            data = _run(sandbox, cand if i % 2 else ws.base, b, *args)
            walls.append(time.monotonic() - start)
            if "check_seconds" in data:
                checks.append(data["check_seconds"])
        out["workers"][mode] = statistics.median(walls)
        out["check_seconds"][mode] = statistics.median(checks) if checks else None
    started, real = [], runner._run
    def counting(*a, **k):
        started.append(1)
        return real(*a, **k)
    runner._run = counting
    walls, counts, speedups = [], [], []
    for _ in range(repeats):
        started.clear()
        start = time.monotonic()
        m = measure(sandbox, ws.base, cand, b, MeasureSettings())
        walls.append(time.monotonic() - start)
        counts.append(len(started))
        speedups.append(m.speedup)
    out["measure"] = {"seconds": statistics.median(walls), "workers": statistics.median(counts),
                      "speedup": statistics.median(speedups)}
    print(json.dumps(out))
finally:
    ws.close()
'''


def export(rev: str, dest: Path, overlay_rev: str | None = None) -> Path:
    """The tree of rev in dest; with overlay_rev, the measurement files as they were there."""
    dest.mkdir(parents=True)
    data = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dest)
    for rel in MEASUREMENT_FILES if overlay_rev else ():
        text = subprocess.run(["git", "show", f"{overlay_rev}:{rel}"], cwd=ROOT, check=True,
                              capture_output=True).stdout
        (dest / rel).write_bytes(text)
    return dest


def probe(tree: Path, repeats: int, home: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, str(repeats)], cwd=tree, capture_output=True, text=True,
                            env={**os.environ, "OPTIMIZE_HOME": str(home)})
    if result.returncode:
        raise SystemExit(f"probe failed in {tree}:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def cli_run(tree: Path, out: Path, home: Path) -> tuple[float, float | None]:
    out.mkdir(parents=True)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "optimizer", "case_studies/dedupe", "--target", "unique_ordered",
                    "--json", str(out / "report.json")], cwd=tree, capture_output=True, text=True,
                   env={**os.environ, "OPTIMIZE_HOME": str(home)})
    seconds = time.monotonic() - start
    try:
        kept = json.loads((out / "report.json").read_text()).get("kept") or []
        speedup = kept[0]["speedup"] if kept else None
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        speedup = None
    return seconds, speedup


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default=BEFORE, help="revision whose measurement files are 'before'")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "check_costs.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = {"before": export("HEAD", tmp / "before", args.before), "after": export("HEAD", tmp / "after")}
        figures: dict[str, dict] = {}
        for name, tree in trees.items():
            figures[name] = probe(tree, args.repeats, tmp / f"home-{name}")
            figures[name]["cli"] = []
        for i in range(args.repeats):
            for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                figures[name]["cli"].append(cli_run(trees[name], tmp / f"out-{name}-{i}", tmp / f"home-{name}"))
    for name, f in figures.items():
        cli = f["cli"]
        print(f"{name:7} workers (median wall s): " + ", ".join(f"{m} {s:.3f}" for m, s in f["workers"].items()))
        if any(v is not None for v in f["check_seconds"].values()):
            print("        judging inside the worker (s): "
                  + ", ".join(f"{m} {s:.5f}" for m, s in f["check_seconds"].items() if s is not None))
        m = f["measure"]
        print(f"        measure() per candidate: {m['seconds']:.2f} s, {m['workers']:.0f} workers, "
              f"{m['speedup']:.1f}x")
        print(f"        whole run: {statistics.median(s for s, _ in cli):.1f} s (runs: "
              + ", ".join(f"{s:.1f} s kept {k}x" for s, k in cli) + ")")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
