"""What the host-side checks of issue #11 cost per candidate: the capability
allow-list and the scrubbing of what flows back.

    python benchmarks/static_checks.py [--repeats 200] [--out benchmarks/results/static_checks.json]

- the allow-list `capability.check(original, candidate)` on two files: the
  case study's `dedupe/core.py` (small) and a 27 KB module of a real library
  written into the script (a long module of many functions, like the ones real
  libraries keep), each with a one-line edit;
- `scrub.clean` on a 5,000-character reason (capped to 1,500) with secret-looking
  environment variables set.
Both run in this process; the medians of `--repeats` timings are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.scrub import clean  # noqa: E402
from sandboxes import capability  # noqa: E402


def _big_module(functions: int = 120) -> str:
    """A long module: imports, and many small functions of the kinds real code has."""
    head = "import collections\nimport itertools\nimport os\nfrom functools import reduce\n\n"
    body = textwrap.dedent('''
        def f{i}(seq, key=None):
            """Group, count and join: {i}."""
            d = collections.defaultdict(list)
            for item in seq:
                d[key(item) if key else item].append(item)
            total = reduce(lambda a, b: a + len(b), d.values(), 0)
            pairs = [(k, v) for k, v in d.items() if len(v) > 1]
            return total, pairs, list(itertools.islice(d, 3)), os.path.join("a", str({i}))
        ''')
    return head + "".join(body.format(i=i) for i in range(functions))


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    small = (ROOT / "case_studies/dedupe/dedupe/core.py").read_text()
    small_edit = small.replace("seen = []", "seen = set()").replace("seen.append", "seen.add")
    big = _big_module()
    big_edit = big.replace("d[key(item) if key else item].append(item)", "d[key(item) if key else item] += [item]", 1)
    env = {**os.environ, "SERVICE_API_KEY": "k3y-" + "x" * 40, "DB_PASSWORD": "hunter2hunter2"}
    reason = ("tests failed: test_x (AssertionError: " + "y" * 4900 + " k3y-" + "x" * 40 + ")")
    figures = {
        "capability_check_small_ms": median_ms(lambda: capability.check(small, small_edit), args.repeats),
        "small_file_chars": len(small),
        "capability_check_big_ms": median_ms(lambda: capability.check(big, big_edit), max(10, args.repeats // 10)),
        "big_file_chars": len(big),
        "clean_reason_ms": median_ms(lambda: clean(reason, environ=env), args.repeats),
    }
    for name, value in figures.items():
        print(f"{name:32} {value:10.3f}" if isinstance(value, float) else f"{name:32} {value:10d}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
