"""What a review costs: `optimize review` on the case study with one changed function.

    python benchmarks/review_time.py [--runs 3] [--out benchmarks/results/review_time.json]

The case study (`case_studies/dedupe`) becomes a git repository whose `main` has a
fast `unique_ordered` (`list(dict.fromkeys(items))`); a branch puts back the shipped,
slow version: one changed function, as a pull request that slowed it down. Timed, end
to end through the command line (wall seconds, median of --runs):

1. the review with its defaults (input search 20 s, the second opinion, the winner
   timed twice): what a pull request waits for;
2. the same without the input search and the second opinion, to show what they cost;
3. a pull request that changes only a docstring: nothing selected, nothing run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOW = """    seen = []
    out = []
    for item in items:
        if item not in seen:
            seen.append(item)
            out.append(item)
    return out
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def make_repo(tmp: Path) -> Path:
    repo = tmp / "dedupe"
    shutil.copytree(ROOT / "case_studies" / "dedupe", repo,
                    ignore=shutil.ignore_patterns("transcript.json", "record_demo_transcript.py", "__pycache__"))
    core = repo / "dedupe" / "core.py"
    shipped = core.read_text()
    assert SLOW in shipped, "the case study's unique_ordered changed: update SLOW"
    core.write_text(shipped.replace(SLOW, "    return list(dict.fromkeys(items))\n"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "fast")
    for branch, text in (("slow", shipped),
                         ("docs", core.read_text().replace("in the order they first appear", "first seen first"))):
        git(repo, "checkout", "-q", "-b", branch, "main")
        core.write_text(text)
        git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-am", branch)
    return repo


def review(repo: Path, branch: str, *flags: str) -> tuple[float, dict]:
    git(repo, "checkout", "-q", branch)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "optimizer", "review", str(repo), "--base", "main", "--format", "json",
                        *flags], capture_output=True, text=True, env=env, timeout=1800)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"review failed ({r.returncode}): {r.stderr[-2000:]}")
    return seconds, json.loads(r.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "review_time.json")
    args = parser.parse_args()
    cases = {"defaults": ("slow", ()), "no search, no second opinion": ("slow", ("--search-seconds", "0",
                                                                                 "--no-second-opinion")),
             "docstring only": ("docs", ())}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["OPTIMIZE_HOME"] = str(Path(tmp) / "home")
        repo = make_repo(Path(tmp))
        for name, (branch, flags) in cases.items():
            times, last = [], {}
            for _ in range(args.runs):
                seconds, last = review(repo, branch, *flags)
                times.append(seconds)
            s = last["suggestions"][0] if last["suggestions"] else None
            results[name] = {"median_s": round(statistics.median(times), 1), "runs_s": [round(t, 1) for t in times],
                             "changed": last["changed"],
                             "suggestion": None if s is None else {
                                 "function": s["function"], "lines": [s["start_line"], s["end_line"]],
                                 "speedup": s["speedup"], "ci": s["ci"], "instructions_ratio": s["instructions_ratio"]}}
            print(f"{name}: {results[name]['median_s']} s (runs {results[name]['runs_s']}); "
                  f"suggestion: {results[name]['suggestion']}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"python": sys.version.split()[0], "cpus": os.cpu_count(), "runs": args.runs,
                                    "results": results}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
