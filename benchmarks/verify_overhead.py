"""How much time the verification layer adds over running the tests alone.

    python benchmarks/verify_overhead.py [--out benchmarks/results/verify_overhead.json]

Builds the bundled case study's repository in a temporary folder, then for four
candidates of each target compares (a) running the target's tests in the
candidate's workspace, which any tool does, with (b) the whole verification
layer: compile, import, those tests, the replay of captured, generated and
mutated calls, the per-candidate search for diverging inputs (--search-seconds'
default of 20 s per target) and the evidence check, plus the one-off recording of
the original's outcomes (with its coverage-guided input search). Writes the
figures as JSON and prints them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.target import index_repo, replace_definition, resolve  # noqa: E402
from optimizer.verify import SearchBudget, capture, verify  # noqa: E402
from optimizer.verify.equivalence import record_expected  # noqa: E402
from optimizer.verify.tests import run_tests  # noqa: E402
from optimizer.workspace import Workspace  # noqa: E402
from sandboxes import get_sandbox  # noqa: E402

CANDIDATES = {
    "unique_ordered": [
        "def unique_ordered(items):\n    return list(dict.fromkeys(items))\n",
        "def unique_ordered(items):\n    seen = set()\n    out = []\n    for item in items:\n"
        "        if item not in seen:\n            seen.add(item)\n            out.append(item)\n    return out\n",
        "def unique_ordered(items):\n    return sorted(set(items), key=items.index)\n",
        "def unique_ordered(items):\n    return list(set(items))\n",          # wrong: order lost
    ],
    "reachable": [
        "def reachable(graph, start):\n    import collections\n    queue = collections.deque([start])\n"
        "    visited = {start}\n    order = []\n    while queue:\n        node = queue.popleft()\n"
        "        order.append(node)\n        for nxt in graph.get(node, ()):\n            if nxt not in visited:\n"
        "                visited.add(nxt)\n                queue.append(nxt)\n    return order\n",
        "def reachable(graph, start):\n    order = [start]\n    visited = {start}\n    i = 0\n"
        "    while i < len(order):\n        for nxt in graph.get(order[i], ()):\n            if nxt not in visited:\n"
        "                visited.add(nxt)\n                order.append(nxt)\n        i += 1\n    return order\n",
        "def reachable(graph, start):\n    order, stack, visited = [], [start], {start}\n    while stack:\n"
        "        node = stack.pop()\n        order.append(node)\n        for nxt in graph.get(node, ()):\n"
        "            if nxt not in visited:\n                visited.add(nxt)\n                stack.append(nxt)\n"
        "    return order\n",                                                   # wrong: depth-first
        "def reachable(graph, start):\n    return list(graph)\n",               # wrong
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "verify_overhead.json")
    args = ap.parse_args()
    sandbox = get_sandbox()[0]
    ws = Workspace(ROOT / "case_studies" / "dedupe")
    rows = []
    try:
        index = index_repo(ws.base)
        targets = [resolve(index, name) for name in CANDIDATES]
        t0 = time.perf_counter()
        baselines, suite = capture(sandbox, ws.base, ws.scratch("run"), targets, "python bench.py")
        capture_s = time.perf_counter() - t0
        for target in targets:
            baseline = baselines[target.name]
            t0 = time.perf_counter()
            record_expected(sandbox, ws.base, ws.scratch("run"), baseline, 900)
            record_s = time.perf_counter() - t0
            tests_s = verify_s = 0.0
            fates = []
            search = SearchBudget(20.0)   # --search-seconds' default, shared by the target's candidates
            for source in CANDIDATES[target.qualname]:
                new_text = replace_definition(ws.original_text(target), target, source)
                cand = ws.candidate_copy(target, new_text)
                t0 = time.perf_counter()
                run_tests(sandbox, cand, [target], baseline.tests, 600)
                tests_s += time.perf_counter() - t0
                t0 = time.perf_counter()
                verdict = verify(sandbox, cand, new_text, baseline, suite, search=search)
                verify_s += time.perf_counter() - t0
                fates.append(verdict.ok)
                ws.discard(cand)
            rows.append({"target": target.name, "candidates": len(fates), "accepted": sum(fates),
                         "calls": len(baseline.stable), "record_s": round(record_s, 2),
                         "tests_alone_s": round(tests_s, 2), "verification_s": round(verify_s, 2),
                         "added_s": round(record_s + verify_s - tests_s, 2)})
    finally:
        ws.close()
    result = {"capture_s": round(capture_s, 2), "targets": rows,
              "python": sys.version.split()[0], "when": time.strftime("%Y-%m-%d %H:%M")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
