"""How often the measurement's keep/reject decision is right, and what it costs.

    python benchmarks/measure_accuracy.py [--trials 50] [--power-trials 20] [--quick] [--out FILE]

--quick: 4 A/A and 2 + 2 power trials, about 30 s, a smoke test only.

Writes a small repository into a temporary folder: one target, `checksum`,
whose calls take a few milliseconds and whose cost is set by the module-level
constant REPEAT (the result does not depend on it); a pytest test and a bench
calling it on 8 inputs. Captures those calls, then times pairs of workspaces
with `optimizer.measure.runner.measure` at default settings and takes the
optimizer's decision, `significant(ci, 1.05)`:

- A/A trials (false accepts): the original against itself, half with an
  identical candidate and half with a cosmetic rewrite (locals renamed, a comment).
- Power trials: the original slowed down (REPEAT 22 or 25) against the
  original (REPEAT 20): the candidate is truly 1.10x or 1.25x faster; a direct
  in-process timing checks those ratios.

Trial kinds are interleaved so that changes in the machine's load hit all of
them alike. Rates come with Wilson 95% intervals. Writes JSON and prints it.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.measure.runner import MeasureError, MeasureSettings, measure  # noqa: E402
from optimizer.measure.stats import significant  # noqa: E402
from optimizer.target import index_repo, replace_definition, resolve  # noqa: E402
from optimizer.verify import capture  # noqa: E402
from optimizer.verify.equivalence import record_expected  # noqa: E402
from optimizer.workspace import Workspace  # noqa: E402
from sandboxes import get_sandbox  # noqa: E402

MIN_SPEEDUP = 1.05   # the CLI's default --min-speedup
REPEAT = 20          # the original's cost; the slowed originals use 22 (1.10x) and 25 (1.25x)
SIZES = [1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300]

WORK_PY = f'''REPEAT = {REPEAT}   # how many times the work is done; the result does not depend on it


def checksum(values, modulus=1_000_003):
    """A polynomial hash of values, computed REPEAT times."""
    result = 0
    for _ in range(REPEAT):
        acc = 0
        for v in values:
            acc = (acc * 31 + v) % modulus
        result = acc
    return result
'''
RENAMED = '''def checksum(values, modulus=1_000_003):
    """A polynomial hash of values, computed REPEAT times."""
    # the same code with other local names
    out = 0
    for _rep in range(REPEAT):
        h = 0
        for item in values:
            h = (h * 31 + item) % modulus
        out = h
    return out
'''
INPUTS = f"INPUTS = [[(i * 7919 + n) % 1000 for i in range(n)] for n in {SIZES}]\n"
FILES = {
    "work.py": WORK_PY,
    "bench.py": "from work import checksum\n" + INPUTS + "for values in INPUTS:\n    checksum(values)\n",
    "tests/test_work.py": "from work import checksum\n\n\ndef test_checksum():\n"
                          "    assert checksum([1, 2]) == 33\n    assert checksum([]) == 0\n",
}


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    """Wilson score 95% interval of a proportion k/n."""
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def direct_ratios(repo: Path, rounds: int = 15) -> dict:
    """Time the function in this process, REPEAT 20/22/25 interleaved; median ratios."""
    spec = importlib.util.spec_from_file_location("work_direct", repo / "work.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    inputs = [[(i * 7919 + n) % 1000 for i in range(n)] for n in SIZES]
    times: dict[int, list[float]] = {20: [], 22: [], 25: []}
    per_call: list[float] = []
    for _ in range(rounds):
        for repeat, spent in times.items():
            mod.REPEAT = repeat
            start = time.perf_counter()
            for values in inputs:
                t0 = time.perf_counter()
                mod.checksum(values)
                if repeat == REPEAT:
                    per_call.append(time.perf_counter() - t0)
            spent.append(time.perf_counter() - start)
    med = {r: statistics.median(v) for r, v in times.items()}
    return {"ratio_1.10": round(med[22] / med[20], 4), "ratio_1.25": round(med[25] / med[20], 4),
            "call_ms_min": round(min(per_call) * 1e3, 2), "call_ms_max": round(max(per_call) * 1e3, 2)}


def summary(rows: list[dict]) -> dict:
    k, n = sum(r["kept"] for r in rows), len(rows)
    return {"trials": n, "kept": k, "rate": round(k / n, 4) if n else None, "ci95": wilson(k, n),
            "speedup_median": round(statistics.median(r["speedup"] for r in rows), 4) if n else None}


def git_commit() -> str:
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()
    measuring = ["optimizer/measure", "optimizer/verify/bootstrap"]
    dirty = run("status", "--porcelain", "--", *measuring).split()[1::2]
    return run("rev-parse", "--short", "HEAD") + (f" + uncommitted {', '.join(dirty)}" if dirty else "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50, help="A/A trials (half identical, half renamed)")
    ap.add_argument("--power-trials", type=int, default=20, help="trials at each of 1.10x and 1.25x")
    ap.add_argument("--quick", action="store_true", help="smoke run: 4 A/A and 2 power trials")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "measure_accuracy.json")
    args = ap.parse_args()
    if args.quick:
        args.trials, args.power_trials = 4, 2
    started, commit = time.perf_counter(), git_commit()
    sandbox = get_sandbox()[0]
    with tempfile.TemporaryDirectory(prefix="measure-accuracy-") as tmp:
        repo = Path(tmp)
        for name, text in FILES.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        direct = direct_ratios(repo)
        ws = Workspace(repo)
        try:
            target = resolve(index_repo(ws.base), "checksum")
            baselines, _ = capture(sandbox, ws.base, ws.scratch("run"), [target], "python bench.py")
            baseline = baselines[target.name]
            record_expected(sandbox, ws.base, ws.scratch("run"), baseline, 900)
            original = ws.original_text(target)
            texts = {"identical": original, "renamed": replace_definition(original, target, RENAMED)}
            slowed = {f"{r / REPEAT:.2f}x": ws.candidate_copy(target, original.replace(
                f"REPEAT = {REPEAT} ", f"REPEAT = {r} ", 1)) for r in (22, 25)}
            assert all("REPEAT = 2" in (p / "work.py").read_text()[:12] for p in slowed.values())
            # the schedule: kinds interleaved, A/A kinds alternating
            aa = ["identical", "renamed"] * (args.trials // 2) + ["identical"] * (args.trials % 2)
            power = [k for _ in range(args.power_trials) for k in slowed]
            schedule = []
            while aa or power:
                schedule += [aa.pop(0) for _ in range(min(len(aa), 2))] + \
                            [power.pop(0) for _ in range(min(len(power), 2))]
            rows, errors = [], []
            for i, kind in enumerate(schedule):
                base = slowed.get(kind, ws.base)
                cand = ws.candidate_copy(target, texts.get(kind, original))
                t0 = time.perf_counter()
                try:
                    m = measure(sandbox, base, cand, baseline)
                except MeasureError as exc:   # reported, left out of the rates
                    errors.append({"kind": kind, "error": str(exc)})
                    print(f"[{i + 1}/{len(schedule)}] {kind:9} failed: {exc}", file=sys.stderr)
                    continue
                finally:
                    ws.discard(cand)
                seconds = time.perf_counter() - t0
                rows.append({"kind": kind, "speedup": round(m.speedup, 4), "ci": [round(c, 4) for c in m.ci],
                             "kept": significant(m.ci, MIN_SPEEDUP), "seconds": round(seconds, 2),
                             "samples": m.samples})
                print(f"[{i + 1}/{len(schedule)}] {kind:9} {m.speedup:.3f}x [{m.ci[0]:.3f}, {m.ci[1]:.3f}] "
                      f"{'kept' if rows[-1]['kept'] else 'rejected'} in {seconds:.1f}s", file=sys.stderr)
            calls = len(baseline.workload)
        finally:
            ws.close()
    of = lambda *kinds: [r for r in rows if r["kind"] in kinds]
    secs = [r["seconds"] for r in rows]
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "commit": commit, "python": sys.version.split()[0],
        "command": " ".join(["python benchmarks/measure_accuracy.py", *sys.argv[1:]]),
        "settings": dataclasses.asdict(MeasureSettings()), "min_speedup": MIN_SPEEDUP,
        "captured_calls": calls, "direct_timing": direct,
        "false_accept": {**summary(of("identical", "renamed")),
                         "identical": summary(of("identical")), "renamed": summary(of("renamed"))},
        "power_1.10x": summary(of("1.10x")), "power_1.25x": summary(of("1.25x")),
        "seconds_per_candidate": {"mean": round(statistics.mean(secs), 2), "max": round(max(secs), 2)},
        "total_seconds": round(time.perf_counter() - started, 1),
        "errors": errors, "trials": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "trials"}, indent=2))


if __name__ == "__main__":
    main()
