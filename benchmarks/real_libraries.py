"""The offline catalog on real code: permissively licensed PyPI libraries, each with a
realistic workload, optimized as a new user would, with no model and no key.

    python benchmarks/real_libraries.py [--only NAME ...] [--max-targets 3]
        [--json benchmarks/results/real_libraries.json] [--markdown] [--workdir DIR]

For each library in LIBRARIES it downloads the pinned source distribution from PyPI
(`pip download --no-binary :all: --no-deps`, cached in --cache), unpacks it into a fresh
git repository, adds the workload `benchmarks/real_libraries/<name>.py` as `bench.py`,
and then:

  static   counts, over every function of the library's own code (tests, docs and setup
           excluded), the catalog patterns whose preconditions hold: what real code
           contains, whether or not the workload reaches it;
  run      `optimize run REPO --bench "python bench.py" --max-targets N`, the command a
           user would type, and reads its report.json: the targets the profile chose
           (with their share of the workload), the candidates the catalog proposed for
           each, what was kept and how fast (the speedup over the captured calls, its
           interval, and the --bench confirmation), and why each other candidate was
           refused;
  matched  then `optimize run REPO --target NAME --bench ...` for up to --reached (3)
           functions the profile credits with time, that a catalog pattern matches and
           that the run above did not try, most time first: what the catalog does on the
           real code it applies to, kept or refused, and why.

It prints one table per library and a summary, and writes JSON. Every figure in the
README's and docs/benchmarks.md's real-library table comes from this script; the
libraries' own code is never changed (the run does not use --apply).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = Path(__file__).resolve().parent / "real_libraries"
sys.path.insert(0, str(ROOT))

# name -> (PyPI requirement, licence as its own files state it, the package folder in the sdist)
LIBRARIES: dict[str, tuple[str, str]] = {
    "toolz": ("toolz==0.12.1", "BSD-3-Clause"),
    "more-itertools": ("more-itertools==10.2.0", "MIT"),
    "tabulate": ("tabulate==0.9.0", "MIT"),
    "sqlparse": ("sqlparse==0.5.1", "BSD-3-Clause"),
    "jmespath": ("jmespath==1.0.1", "MIT"),
    "markdown": ("Markdown==3.7", "BSD-3-Clause"),
    "inflection": ("inflection==0.5.1", "MIT"),
    "boltons": ("boltons==24.0.0", "BSD-3-Clause"),
}
_SKIP_PARTS = {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "bench"}
_NOT_LIBRARY = {"setup.py", "conftest.py", "bench.py", "versioneer.py", "noxfile.py", "_version.py"}


def download(requirement: str, cache: Path) -> Path:
    """The sdist for `requirement`, downloaded once into `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    name, version = requirement.split("==")
    stem = name.lower().replace("-", "_").replace(".", "_")
    for found in cache.iterdir():
        flat = found.name.lower().replace("-", "_").replace(".", "_")
        if flat.startswith(f"{stem}_{version.replace('.', '_')}") and found.name.endswith((".tar.gz", ".zip")):
            return found
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
                    "--dest", str(cache), requirement], check=True)
    return download(requirement, cache)


def unpack(archive: Path, into: Path) -> Path:
    """The sdist's top folder, extracted under `into` (tar's data filter: no links out, and
    the files owned by whoever runs this, not by the uids in the archive, which git refuses
    to work in as "dubious ownership")."""
    into.mkdir(parents=True, exist_ok=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(into)
    else:
        with tarfile.open(archive) as t:
            t.extractall(into, filter="data")
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


def prepare(name: str, workdir: Path, cache: Path) -> Path:
    """A git repository of the library's sdist (every file, its own .gitignore
    notwithstanding), then a second commit with the workload as bench.py, a root
    conftest.py that puts the repository on the import path (the library is not
    installed), and, where the sdist's tests need it under today's pytest, a patch
    (`<name>.patch`) or a conftest of its own (`<name>.conftest.py`)."""
    requirement, _ = LIBRARIES[name]
    repo = unpack(download(requirement, cache), workdir / name)
    git = ["git", "-c", "user.email=bench@example.invalid", "-c", "user.name=bench", "-c", "init.defaultBranch=main",
           "-c", f"safe.directory={repo}"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A", "-f"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", f"{requirement} as published"], cwd=repo, check=True)
    shutil.copy(WORKLOADS / f"{name}.py", repo / "bench.py")
    own = WORKLOADS / f"{name}.conftest.py"
    shutil.copy(own if own.exists() else WORKLOADS / "conftest.py", repo / "conftest.py")
    patch = WORKLOADS / f"{name}.patch"
    if patch.exists():
        subprocess.run([*git, "apply", str(patch)], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "a workload, and the tests run from the root"], cwd=repo, check=True)
    return repo


def static_matches(repo: Path) -> dict[str, list[str]]:
    """pattern id -> the library's functions (dotted names, as the profile names them) where
    its preconditions hold and that pays on this Python: the optimizer's own index (tests
    excluded), without the workload, setup and docs files."""
    from optimizer.propose.patterns import applicable
    from optimizer.target import index_repo

    python = "%d.%d" % sys.version_info[:2]     # the libraries run in this Python: what pays on it
    hits: dict[str, list[str]] = {}
    for target in index_repo(repo):
        parts = target.file.split("/")
        if _SKIP_PARTS & set(parts[:-1]) or parts[-1] in _NOT_LIBRARY:
            continue
        for pattern in applicable(textwrap.dedent(target.source), python):
            hits.setdefault(pattern, []).append(target.name)
    return hits


def bench_seconds(repo: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "bench.py"], cwd=repo, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def optimize(repo: Path, out: Path, *how: str) -> tuple[int, float, dict | None, str]:
    """Exit code, seconds, report.json and the output's tail of `optimize run` as a user types
    it, with `how` (--max-targets N, or --target NAME)."""
    start = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = subprocess.run([sys.executable, "-m", "optimizer", "run", str(repo), "--bench", "python bench.py",
                           *how, "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=3600)
    seconds = time.perf_counter() - start
    report_path = out / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return proc.returncode, seconds, report, (proc.stdout + proc.stderr)[-3000:]


def summarize(report: dict) -> list[dict]:
    """Per target the profile chose: share, each candidate's pattern and fate, what was kept."""
    rows = []
    kept = {k["target"]: k for k in report.get("kept", [])}
    for name, target in report.get("targets", {}).items():
        candidates = [c for c in report.get("candidates", []) if c["target"] == name]
        row = {"target": name, "share": target.get("share"), "status": target.get("status"),
               "skipped": target.get("skipped") or "",
               "candidates": [{"origin": c["origin"], "status": c["status"], "speedup": c.get("speedup"),
                               "ci": c.get("ci"), "reason": c.get("reason", "")} for c in candidates]}
        if name in kept:
            k = kept[name]
            bench = k["measurement"].get("bench")
            row["kept"] = {"origin": k["origin"], "speedup": k["speedup"], "ci": k["ci"],
                           "bench_speedup": bench["speedup"] if bench else None,
                           "bench_ci": bench["ci"] if bench else None}
        rows.append(row)
    return rows


def matched_runs(repo: Path, out: Path, report: dict, static: dict[str, list[str]], most: int) -> list[dict]:
    """`optimize run REPO --target NAME` for the functions the workload reaches (the profile
    credits them time) where some catalog pattern applies and which the run above did not
    already try: up to `most` of them, most time first. What the catalog does on real code it
    matches, as opposed to the code a profile ranks first."""
    patterns = {}
    for pattern, names in static.items():
        for name in names:
            patterns.setdefault(name, []).append(pattern)
    tried = set(report.get("targets", {}))
    reached = [h for h in report.get("hotspots", []) if h["name"] in patterns and h["name"] not in tried]
    rows = []
    for i, hotspot in enumerate(reached[:most]):
        code, seconds, sub, tail = optimize(repo, out / str(i), "--target", hotspot["name"])
        row = {"target": hotspot["name"], "share": hotspot["share"], "patterns": patterns[hotspot["name"]],
               "exit_code": code, "seconds": round(seconds, 1)}
        if sub is None:
            row["error"] = tail
        else:
            found = summarize(sub)
            row.update(found[0] if found else {})
            row["share"] = hotspot["share"]
        rows.append(row)
    return rows


def _revision() -> str | None:
    """The optimizer's commit this library was run with (rows of one table may come from
    separate --only runs)."""
    from optimizer.run import _tool_revision

    return _tool_revision()


def run(names: list[str], workdir: Path, cache: Path, max_targets: int, reached: int) -> dict:
    results = {}
    for name in names:
        print(f"== {name} ({LIBRARIES[name][0]})", flush=True)
        repo = prepare(name, workdir, cache)
        entry: dict = {"requirement": LIBRARIES[name][0], "license": LIBRARIES[name][1],
                       "optimizer": _revision(), "date": time.strftime("%Y-%m-%d")}
        entry["static"] = static_matches(repo)
        entry["bench_seconds"] = round(bench_seconds(repo), 2)
        code, seconds, report, tail = optimize(repo, workdir / f"{name}-run", "--max-targets", str(max_targets))
        entry.update({"exit_code": code, "seconds": round(seconds, 1)})
        if report is None:
            entry["error"] = tail
        else:
            entry["targets"] = summarize(report)
            entry["notes"] = report.get("notes", [])
            entry["matched"] = matched_runs(repo, workdir / f"{name}-matched", report, entry["static"], reached)
        results[name] = entry
        print(text_table({name: entry}), flush=True)
    return results


def _fate(c: dict) -> str:
    origin = c["origin"].removeprefix("pattern:")
    if c["speedup"] is not None:
        return f"{origin}: {c['status']} {c['speedup']:.2f}x [{c['ci'][0]:.2f}, {c['ci'][1]:.2f}]"
    return f"{origin}: {c['status']} ({c['reason'][:90]})"


def _share(t: dict) -> str:
    return f"{t['share']:.0%}" if t.get("share") is not None else "-"


def _target_lines(t: dict) -> list[str]:
    head = f"  {t['target']} ({_share(t)}): {t.get('status', 'failed')}"
    if "kept" in t:
        k = t["kept"]
        bench = f", bench {k['bench_speedup']:.2f}x" if k["bench_speedup"] else ""
        head += f" {k['origin'].removeprefix('pattern:')} {k['speedup']:.2f}x{bench}"
    elif t.get("skipped"):
        head += f" ({t['skipped'][:100]})"
    elif t.get("error"):
        head += " (" + t["error"].strip().splitlines()[-1][:100] + ")"
    return [head, *(f"      {_fate(c)}" for c in t.get("candidates", []))]


def text_table(results: dict) -> str:
    out = []
    for name, e in results.items():
        static = ", ".join(f"{p} {len(w)}" for p, w in sorted(e["static"].items())) or "none"
        out.append(f"{name} {e['requirement'].split('==')[1]}: bench {e['bench_seconds']} s, optimize "
                   f"{e['seconds']} s (exit {e['exit_code']}); static matches: {static}")
        for t in e.get("targets", []):
            out.extend(_target_lines(t))
        if e.get("matched"):
            out.append("  then --target on profiled functions a pattern matches:")
            for t in e["matched"]:
                out.extend(_target_lines(t))
        if "error" in e:
            out.append("  error: " + e["error"].strip().splitlines()[-1])
    return "\n".join(out)


def _cells(rows: list[dict]) -> tuple[list, list, list, list]:
    """(targets with shares, proposed patterns, kept with speedups, refusals with reasons)."""
    targets, proposed, kept, refused = [], [], [], []
    for t in rows:
        targets.append(f"`{t['target'].rsplit('.', 1)[-1]}` {_share(t)}")
        for c in t.get("candidates", []):
            proposed.append(c["origin"].removeprefix("pattern:"))
            if c["status"] == "rejected":
                refused.append(f"{c['origin'].removeprefix('pattern:')}: {c['reason'][:90]}")
        if "kept" in t:
            k = t["kept"]
            bench = f" (bench {k['bench_speedup']:.2f}x)" if k["bench_speedup"] else ""
            kept.append(f"`{t['target'].rsplit('.', 1)[-1]}` {k['speedup']:.2f}x{bench}")
    return targets, proposed, kept, refused


def markdown(results: dict) -> str:
    """Two tables: the run as a user types it (the profile's top targets), and the --target
    runs on the profiled functions a pattern matches."""
    head = ["| library | workload | targets (share) | catalog candidates | kept | refused, and why |",
            "|---|---|---|---|---|---|"]
    first, second = list(head), list(head)
    for name, e in results.items():
        label = f"{name} {e['requirement'].split('==')[1]}"
        for table, rows in ((first, e.get("targets", [])), (second, e.get("matched", []))):
            if table is second and not rows:
                continue
            targets, proposed, kept, refused = _cells(rows)
            table.append(f"| {label} | {e['bench_seconds']} s | {', '.join(targets) or '-'} | "
                         f"{', '.join(proposed) or 'none applies'} | {', '.join(kept) or 'nothing'} | "
                         f"{'; '.join(refused) or '-'} |")
    return "\n".join(first) + "\n\nThen `--target` on profiled functions a pattern matches:\n\n" + "\n".join(second)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(LIBRARIES), metavar="NAME",
                        help="run these; with an existing --json file, the other rows are kept")
    parser.add_argument("--max-targets", type=int, default=3)
    parser.add_argument("--reached", type=int, default=3,
                        help="then up to this many --target runs on profiled functions a pattern matches")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "real_libraries.json")
    parser.add_argument("--markdown", action="store_true", help="also print the docs table")
    parser.add_argument("--workdir", type=Path, help="keep the repositories and runs here (default: a temporary folder)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "optimize-bench" / "sdists")
    args = parser.parse_args(argv)
    names = args.only or list(LIBRARIES)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="real_libraries-") as tmp:
        workdir = args.workdir or Path(tmp)
        started = time.time()
        results = run(names, workdir, args.cache, args.max_targets, args.reached)
    summary = {"python": sys.version.split()[0], "max_targets": args.max_targets, "reached": args.reached,
               "minutes": round((time.time() - started) / 60, 1), "libraries": results}
    if args.only and args.json.exists():     # the others' rows stay as they were
        kept = json.loads(args.json.read_text())
        summary["libraries"] = {**kept.get("libraries", {}), **results}
        summary["libraries"] = {n: summary["libraries"][n] for n in LIBRARIES if n in summary["libraries"]}
        results = summary["libraries"]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1) + "\n")
    print()
    print(text_table(results))
    if args.markdown:
        print()
        print(markdown(results))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
