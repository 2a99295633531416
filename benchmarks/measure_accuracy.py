"""How often the measurement's keep/reject decision is right, and what it costs, under load.

    python benchmarks/measure_accuracy.py [--trials 50] [--power-trials 20] [--run-size 10]
        [--load N | --levels 0,1,2] [--memory-load] [--quick] [--out FILE]

--trials: A/A trials (half identical, half renamed); --power-trials: trials at each
  of 1.05x, 1.10x and 1.25x; --run-size: trials per calibration (the real loop
  calibrates once per target per run).
--load N: N CPU-bound competitor processes (`while True: pass`) run during the
  trials; --levels 0,1,2 runs the whole experiment at each of these loads in turn
  (then --load is ignored); --memory-load adds one competitor at every level that
  keeps copying a 256 MB buffer (memory bandwidth).
--quick: 4 A/A, 2 trials per power arm, runs of 4: a smoke test only (a few
  minutes per level).

Writes a small repository into a temporary folder: one target, `checksum`,
whose calls take a few milliseconds and whose cost is set by the module-level
constant REPEAT (the result does not depend on it); a pytest test and a bench
calling it on 8 inputs. Captures those calls once, then, per level, times pairs
of workspaces and takes the decision as the tool makes it: the schedule is cut
into runs of --run-size trials; each run starts with `calibrate` (the original
against an identical copy, default MeasureSettings) whose returned settings
(noise, maybe more rounds) serve that run's trials: `measure`, then
`decide(m, "time", 1.05, settings.noise)`, which says kept, rejected or
undecided (the machine was too busy to tell; never kept).

- A/A trials (false accepts): the original against itself, half with an
  identical candidate and half with a cosmetic rewrite (locals renamed, a comment).
- Power trials: the original slowed down (REPEAT 21, 22 or 25) against the
  original (REPEAT 20): the candidate is truly 1.05x, 1.10x or 1.25x faster; a
  direct in-process timing, per level, checks those ratios. A true 1.05x sits on
  the threshold and should rarely be kept.

Trial kinds are interleaved evenly so that changes in the machine's load hit all
of them alike. Writes JSON (per level: summaries, calibrations, errors, trials;
rewritten after each level) and prints a Markdown table, one column per level:
false accepts (kept of A/A, rate, Wilson 95%), undecided A/A, kept and undecided
at 1.10x and 1.25x, kept at 1.05x, seconds per candidate (mean / max of the
trials' measurements) and how many runs' calibrations raised the rounds.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.measure.decide import decide  # noqa: E402
from optimizer.measure.runner import MeasureError, MeasureSettings, calibrate, measure  # noqa: E402
from optimizer.model import Target  # noqa: E402
from optimizer.target import index_repo, replace_definition, resolve  # noqa: E402
from optimizer.verify import capture  # noqa: E402
from optimizer.verify.capture import Baseline  # noqa: E402
from optimizer.verify.equivalence import record_expected  # noqa: E402
from optimizer.workspace import Workspace  # noqa: E402
from sandboxes import Sandbox, get_sandbox  # noqa: E402

MIN_SPEEDUP = 1.05   # the CLI's default --min-speedup
REPEAT = 20          # the original's cost; the slowed originals use 21, 22 and 25
SLOWED = {f"{r / REPEAT:.2f}x": r for r in (21, 22, 25)}   # power arm -> the slowed original's REPEAT
SIZES = [1000, 1300, 1600, 2000, 2300, 2600, 3000, 3300]
CPU_HOG = "while True: pass"
MEMORY_HOG = "b = bytearray(256 << 20)\nwhile True: bytes(b)"

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


@dataclasses.dataclass
class Fixture:
    """The captured repository: what every level's trials measure."""

    sandbox: Sandbox
    ws: Workspace
    target: Target
    baseline: Baseline
    original: str
    pairs: dict[str, tuple[Path, str]]   # trial kind -> (base workspace, candidate's text of work.py)


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    """Wilson score 95% interval of a proportion k/n."""
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def direct_ratios(repo: Path, rounds: int = 15) -> dict:
    """Time the function in this process, REPEAT 20/21/22/25 interleaved; median ratios."""
    spec = importlib.util.spec_from_file_location("work_direct", repo / "work.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    inputs = [[(i * 7919 + n) % 1000 for i in range(n)] for n in SIZES]
    times: dict[int, list[float]] = {REPEAT: [], **{r: [] for r in SLOWED.values()}}
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
    return {**{f"ratio_{arm[:-1]}": round(med[r] / med[REPEAT], 4) for arm, r in SLOWED.items()},
            "call_ms_min": round(min(per_call) * 1e3, 2), "call_ms_max": round(max(per_call) * 1e3, 2)}


def r4(values) -> list[float]:
    """Values rounded to 4 places, for the JSON."""
    return [round(v, 4) for v in values]


def summary(rows: list[dict]) -> dict:
    """Kept (with its rate and Wilson interval) and undecided counts of some trials."""
    k, n = sum(r["status"] == "kept" for r in rows), len(rows)
    return {"trials": n, "kept": k, "undecided": sum(r["status"] == "undecided" for r in rows),
            "rate": round(k / n, 4) if n else None, "ci95": wilson(k, n),
            "speedup_median": round(statistics.median(r["speedup"] for r in rows), 4) if n else None}


def git_commit() -> str:
    """HEAD, plus the measuring files that differ from it."""
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()
    measuring = ["optimizer/measure", "optimizer/verify/bootstrap"]
    dirty = run("status", "--porcelain", "--", *measuring).split()[1::2]
    return run("rev-parse", "--short", "HEAD") + (f" + uncommitted {', '.join(dirty)}" if dirty else "")


@contextlib.contextmanager
def competitors(cpu: int, memory: bool):
    """Run `cpu` CPU-bound processes (and one memory-bound one) while the block runs; kill them after."""
    programs = [CPU_HOG] * cpu + [MEMORY_HOG] * memory
    procs = [subprocess.Popen([sys.executable, "-c", p], stdin=subprocess.DEVNULL) for p in programs]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def interleave(*lists: list) -> list:
    """Merge lists evenly: each item goes to its relative position within its own list."""
    keyed = [((i + 0.5) / len(items), j, item) for j, items in enumerate(lists) for i, item in enumerate(items)]
    return [item for *_, item in sorted(keyed, key=lambda k: k[:2])]


def prepare(sandbox: Sandbox, ws: Workspace) -> Fixture:
    """Capture and record the target's calls; write the slowed originals."""
    target = resolve(index_repo(ws.base), "checksum")
    baselines, _ = capture(sandbox, ws.base, ws.scratch("run"), [target], "python bench.py")
    baseline = baselines[target.name]
    record_expected(sandbox, ws.base, ws.scratch("run"), baseline, 900)
    original = ws.original_text(target)
    pairs = {"identical": (ws.base, original), "renamed": (ws.base, replace_definition(original, target, RENAMED))}
    for arm, r in SLOWED.items():
        slowed = ws.candidate_copy(target, original.replace(f"REPEAT = {REPEAT} ", f"REPEAT = {r} ", 1))
        assert (slowed / "work.py").read_text().startswith(f"REPEAT = {r} ")
        pairs[arm] = (slowed, original)
    return Fixture(sandbox, ws, target, baseline, original, pairs)


def calibrated(fx: Fixture, run: int, tag: str) -> tuple[MeasureSettings, dict]:
    """The run's settings from an A/A calibration on a throwaway identical copy, and its record."""
    copy = fx.ws.candidate_copy(fx.target, fx.original)
    t0 = time.perf_counter()
    try:
        settings, noise, note = calibrate(fx.sandbox, fx.ws.base, copy, fx.baseline, MeasureSettings())
    finally:
        fx.ws.discard(copy)
    record = {"run": run, "speedup": round(noise.speedup, 4), "ci": r4(noise.ci),
              "disturbed": round(noise.disturbed, 3), "seconds": round(time.perf_counter() - t0, 2),
              "raised": bool(note)}
    print(f"{tag} run {run}: calibration {noise.speedup:.3f}x [{noise.ci[0]:.3f}, {noise.ci[1]:.3f}] "
          f"disturbed {noise.disturbed:.0%}{', rounds raised' if note else ''}", file=sys.stderr)
    return settings, record


def trial(fx: Fixture, kind: str, settings: MeasureSettings, run: int) -> dict:
    """One candidate measured and decided as the tool does it."""
    base, text = fx.pairs[kind]
    cand = fx.ws.candidate_copy(fx.target, text)
    t0 = time.perf_counter()
    try:
        m = measure(fx.sandbox, base, cand, fx.baseline, settings)
    finally:
        fx.ws.discard(cand)
    status, why = decide(m, "time", MIN_SPEEDUP, settings.noise)
    return {"run": run, "kind": kind, "status": status, "speedup": round(m.speedup, 4), "ci": r4(m.ci),
            "metric": m.metric, "wall": r4(m.wall) if m.wall else None, "disturbed": round(m.disturbed, 3),
            "waited": round(m.waited, 3), "seconds": round(time.perf_counter() - t0, 2), "samples": m.samples,
            "why": why}


def run_level(fx: Fixture, schedule: list[str], run_size: int, tag: str) -> tuple[list, list, list]:
    """The schedule in runs of run_size trials, each run after its own calibration:
    (trials, calibrations, errors). A failed calibration skips its run, as the tool skips the target."""
    rows, cals, errors = [], [], []
    for run, start in enumerate(range(0, len(schedule), run_size)):
        try:
            settings, record = calibrated(fx, run, tag)
            cals.append(record)
        except MeasureError as exc:
            errors.append({"run": run, "kind": "calibration", "error": str(exc)})
            print(f"{tag} run {run}: calibration failed, run skipped: {exc}", file=sys.stderr)
            continue
        for i, kind in enumerate(schedule[start:start + run_size], start + 1):
            try:
                row = trial(fx, kind, settings, run)
            except MeasureError as exc:   # reported, left out of the rates
                errors.append({"run": run, "kind": kind, "error": str(exc)})
                print(f"{tag} [{i}/{len(schedule)}] {kind:9} failed: {exc}", file=sys.stderr)
                continue
            rows.append(row)
            print(f"{tag} [{i}/{len(schedule)}] {kind:9} {row['speedup']:.3f}x [{row['ci'][0]:.3f}, "
                  f"{row['ci'][1]:.3f}] {row['metric']}, disturbed {row['disturbed']:.0%}: {row['status']} "
                  f"in {row['seconds']:.1f}s", file=sys.stderr)
    return rows, cals, errors


def level_result(load: int, memory: bool, direct: dict, rows: list, cals: list, errors: list, seconds: float) -> dict:
    """One level's JSON: summaries, then the raw records."""
    def of(*kinds: str) -> list[dict]:
        return [r for r in rows if r["kind"] in kinds]

    secs = [r["seconds"] for r in rows] or [0.0]
    return {
        "load": load, "memory_load": memory, "direct_timing": direct,
        "false_accept": {**summary(of("identical", "renamed")),
                         "identical": summary(of("identical")), "renamed": summary(of("renamed"))},
        **{f"power_{arm}": summary(of(arm)) for arm in SLOWED},
        "seconds_per_candidate": {"mean": round(statistics.mean(secs), 2), "max": round(max(secs), 2)},
        "calibration": {"runs": len(cals), "raised": sum(c["raised"] for c in cals)},
        "total_seconds": round(seconds, 1), "errors": errors, "calibrations": cals, "trials": rows,
    }


def table(levels: dict[str, dict]) -> str:
    """The Markdown table: one column per load level."""
    def count(s: dict, key: str) -> str:
        return f"{s[key]}/{s['trials']}"

    def rate(s: dict) -> str:
        return f"{count(s, 'kept')} = {s['rate'] or 0:.2f} [{s['ci95'][0]:.2f}, {s['ci95'][1]:.2f}]"

    rows = [("false accepts: kept of A/A, rate [Wilson 95%]", lambda lv: rate(lv["false_accept"])),
            ("undecided A/A", lambda lv: count(lv["false_accept"], "undecided"))]
    rows += [(f"power at {arm}: {key}", lambda lv, arm=arm, key=key: count(lv[f"power_{arm}"], key))
             for arm in ("1.10x", "1.25x") for key in ("kept", "undecided")]
    rows += [("true 1.05x kept (should be rare)", lambda lv: count(lv["power_1.05x"], "kept")),
             ("seconds per candidate: mean / max",
              lambda lv: "{mean:.1f} / {max:.1f}".format(**lv["seconds_per_candidate"])),
             ("calibrations that raised rounds", lambda lv: "{raised} of {runs} runs".format(**lv["calibration"])),
             ("errors", lambda lv: str(len(lv["errors"])))]
    heads = [f"load {lv['load']}" + (" + memory" if lv["memory_load"] else "") for lv in levels.values()]
    lines = ["| | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    lines += [f"| {name} | " + " | ".join(cell(lv) for lv in levels.values()) + " |" for name, cell in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50, help="A/A trials (half identical, half renamed)")
    ap.add_argument("--power-trials", type=int, default=20, help="trials at each of 1.05x, 1.10x and 1.25x")
    ap.add_argument("--run-size", type=int, default=10, help="trials per calibration (one run of the tool)")
    ap.add_argument("--load", type=int, default=0, help="CPU-bound competitor processes during the trials")
    ap.add_argument("--levels", help="comma-separated loads, each a whole experiment (overrides --load)")
    ap.add_argument("--memory-load", action="store_true", help="one more competitor, memory-bandwidth bound")
    ap.add_argument("--quick", action="store_true", help="smoke run: 4 A/A, 2 per power arm, runs of 4")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "measure_accuracy.json")
    args = ap.parse_args()
    if args.quick:
        args.trials, args.power_trials, args.run_size = 4, 2, 4
    loads = [int(x) for x in args.levels.split(",")] if args.levels else [args.load]
    aa = ["identical", "renamed"] * (args.trials // 2) + ["identical"] * (args.trials % 2)
    schedule = interleave(aa, [arm for _ in range(args.power_trials) for arm in SLOWED])
    started = time.perf_counter()
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "commit": git_commit(), "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "command": " ".join(["python benchmarks/measure_accuracy.py", *sys.argv[1:]]),
        "settings": dataclasses.asdict(MeasureSettings()), "min_speedup": MIN_SPEEDUP, "run_size": args.run_size,
        "levels": {},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sandbox = get_sandbox()[0]
    with tempfile.TemporaryDirectory(prefix="measure-accuracy-") as tmp:
        repo = Path(tmp)
        for name, text in FILES.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)
        ws = Workspace(repo)
        try:
            fx = prepare(sandbox, ws)
            result["captured_calls"] = len(fx.baseline.workload)
            for load in loads:
                tag, t0 = f"[load {load}]", time.perf_counter()
                with competitors(load, args.memory_load):
                    direct = direct_ratios(repo)
                    rows, cals, errors = run_level(fx, schedule, args.run_size, tag)
                result["levels"][str(load)] = level_result(load, args.memory_load, direct, rows, cals, errors,
                                                           time.perf_counter() - t0)
                result["total_seconds"] = round(time.perf_counter() - started, 1)
                args.out.write_text(json.dumps(result, indent=2) + "\n")   # after each level: kept if a later fails
        finally:
            ws.close()
    print(f"wrote {args.out}", file=sys.stderr)
    print(table(result["levels"]))


if __name__ == "__main__":
    main()
