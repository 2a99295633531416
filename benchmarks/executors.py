"""`optimize run --all` over a generated repository of many slow functions, with the local
executor and with Ray on a local cluster: targets per minute, the kept edits (which must
be the same), and what Ray adds per target.

    python benchmarks/executors.py                  # 40 functions (about 25 minutes)
    python benchmarks/executors.py --functions 8    # a quick look

Three runs of the same command over the same repository (a fresh copy each):
  local         --executor local: one target at a time, in the driver;
  ray, 1 CPU    a local cluster started with `ray start --head --num-cpus 1`, joined with
                --ray-address: one target at a time too, so (its time - local's) / targets
                is what Ray adds per target (the snapshot, a session on the node,
                scheduling, the result's trip back);
  ray, N CPUs   the cluster with this machine's cores: targets verified side by side,
                measured one at a time (the node's measurement slot).

Each function is one of four slow shapes the offline catalog rewrites (membership in a
list, an invariant recomputed in a loop, a nested-loop join, a quadratic string build),
with its own constants, a test that calls it, and a share of the bench's time. The runs
use --search-seconds 0 and --no-second-opinion (the input search and the instruction
count cost the same with either executor and would only lengthen the benchmark).

Writes benchmarks/results/executors.json; --markdown prints the table for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "executors.json"
FLAGS = ["--all", "--search-seconds", "0", "--no-second-opinion"]

SHAPES = [
    ("unique_{i}", '''
        def unique_{i}(items):
            seen = []
            out = []
            for item in items:
                if item not in seen:
                    seen.append(item)
                    out.append(item + {i})
            return out
    ''', "unique_{i}([k % {m} for k in range(3000)])"),
    ("above_{i}", '''
        def above_{i}(readings):
            count = 0
            for reading in readings:
                if reading > sum(readings) / len(readings) + {i}:
                    count += 1
            return count
    ''', "above_{i}(list(range({n})))"),
    ("join_{i}", '''
        def join_{i}(orders, customers):
            rows = []
            for order in orders:
                for customer in customers:
                    if customer["id"] == order["customer"]:
                        rows.append((order["n"] + {i}, customer["name"]))
            return rows
    ''', "join_{i}([{{'customer': k % {m}, 'n': k}} for k in range(600)], "
         "[{{'id': k, 'name': str(k)}} for k in range({m})])"),
    ("render_{i}", '''
        def render_{i}(words):
            text = ""
            for word in words:
                text = text + word + "{sep}"
            return text
    ''', "render_{i}([str(k) * 3 for k in range({n} * 4)])"),
]


def generate(root: Path, n: int) -> Path:
    """A git repository with n slow functions in n // 8 + 1 modules, a test per function
    and a bench.py calling each."""
    repo = root / "many"
    (repo / "slow").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "slow" / "__init__.py").write_text("")
    modules: dict[int, list[str]] = {}
    calls = []
    for i in range(n):
        name, body, call = SHAPES[i % len(SHAPES)]
        values = {"i": i, "m": 300 + 7 * i, "n": 1200 + 25 * i, "sep": ",;|:"[i % 4]}
        modules.setdefault(i // 8, []).append(textwrap.dedent(body.format(**values)).strip())
        calls.append((i // 8, name.format(**values), call.format(**values)))
    for m, bodies in modules.items():
        (repo / "slow" / f"part{m}.py").write_text("\n\n\n".join(bodies) + "\n")
    imports = "".join(f"from slow.part{m} import *  # noqa: F403\n" for m in modules)
    tests = [f"def test_{name}():\n    first = {call}\n    assert {call} == first\n" for _, name, call in calls]
    (repo / "tests" / "test_slow.py").write_text(imports + "\n\n" + "\n\n".join(tests))
    (repo / "bench.py").write_text(imports + "\nfor _ in range(2):\n" + "".join(f"    {call}\n" for _, _, call in calls))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-qm", "slow"],
                   cwd=repo, check=True)
    return repo


def one_run(label: str, repo_template: Path, work: Path, extra: list[str], env: dict) -> dict:
    name = label.replace(" ", "-").replace(",", "")
    repo = work / name
    shutil.copytree(repo_template, repo, symlinks=True)
    out = work / f"{name}-out" / "report.json"   # its own folder: its patches and progress
    out.parent.mkdir()
    started, wall = time.monotonic(), time.time()
    r = subprocess.run([sys.executable, "-m", "optimizer", "run", str(repo), "--bench", "python bench.py", *FLAGS,
                        *extra, "--json", str(out)], capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    if r.returncode != 0:
        raise SystemExit(f"{label}: exit {r.returncode}: {r.stderr.strip()[-2000:]}")
    report = json.loads(out.read_text())
    statuses = [t["status"] for t in report["targets"].values()]
    planned = (out.parent / "progress" / "plan.b64").stat().st_mtime - wall   # profile and capture: the driver's
    return {"label": label, "seconds": round(seconds, 1), "before_first_target_s": round(planned, 1),
            "targets": len(statuses),
            "targets_per_minute": round(len(statuses) / (seconds / 60), 2),
            "target_names": sorted(report["targets"]),
            "fates": {c["target"]: f"{c['status']}: {c['reason'][:300]}" for c in report["candidates"]
                      if c.get("target") and c["status"] != "kept"},
            "kept": sorted(k["target"] for k in report["kept"]),
            "kept_edits": {k["target"]: k["diff"] for k in report["kept"]},
            "lost": statuses.count("lost"), "skipped": statuses.count("skipped")}


def _kept_on(row: dict, other: dict) -> dict:
    """`row`'s kept edits of the targets `other` worked on too."""
    return {t: d for t, d in row["kept_edits"].items() if t in other["target_names"]}


def ray_cluster(cpus: int, port: int, env: dict):
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    subprocess.run([ray, "stop", "--force"], capture_output=True, env=env)
    subprocess.run([ray, "start", "--head", f"--port={port}", f"--num-cpus={cpus}", "--include-dashboard=false",
                    "--disable-usage-stats"], check=True, capture_output=True, env=env)
    return lambda: subprocess.run([ray, "stop", "--force"], capture_output=True, env=env)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--functions", type=int, default=40)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    cpus = os.cpu_count() or 1
    env = {**os.environ, "OPTIMIZE_HOME": tempfile.mkdtemp(prefix="bench-home-")}
    with tempfile.TemporaryDirectory(prefix="bench-executors-") as tmp:
        work = Path(tmp)
        template = generate(work / "template", args.functions)
        rows = [one_run("local", template, work, [], env)]
        for n in sorted({1, cpus}):
            stop = ray_cluster(n, 6390, env)
            try:
                rows.append(one_run(f"ray, {n} CPU{'s' * (n > 1)}", template, work,
                                    ["--executor", "ray", "--ray-address", "127.0.0.1:6390"], env))
            finally:
                stop()
    local, one = rows[0], next(r for r in rows if r["label"] == "ray, 1 CPU")
    result = {
        "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "cpus": cpus,
        "functions": args.functions, "flags": FLAGS, "rows": rows,
        # Each run profiles the workload afresh: a function the sampler missed in one run is not
        # that run's target. The executors are compared on the targets both worked on.
        "same_targets": all(r["target_names"] == local["target_names"] for r in rows),
        "same_kept_edits": all(_kept_on(r, local) == _kept_on(local, r) for r in rows),
        "ray_overhead_s_per_target": round((one["seconds"] - local["seconds"]) / max(1, local["targets"]), 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        print("| executor | targets | wall time | of which profile and capture | targets per minute | kept | lost |\n"
              "|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['label']} | {r['targets']} | {r['seconds'] / 60:.1f} min | {r['before_first_target_s']:.0f} s "
                  f"| {r['targets_per_minute']:.2f} | {len(r['kept'])} | {r['lost']} |")
        print(f"\nSame targets: {result['same_targets']}; same kept edits on the targets both worked on: "
              f"{result['same_kept_edits']}. Ray adds "
              f"{result['ray_overhead_s_per_target']:.2f} s per target (1-CPU cluster against local).")
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
        for r in rows:
            print(r["label"], r["seconds"], "s,", r["targets_per_minute"], "targets/min, kept", len(r["kept"]))


if __name__ == "__main__":
    main()
