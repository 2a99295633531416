"""Workload: render report tables of mixed-type rows with tabulate in several output formats."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tabulate import tabulate

CITIES = ["Oslo", "Zürich", "São Paulo", "Kraków", "New York", "東京", "Lagos", "Reykjavík", "Lima", "Perth"]
STATUS = ["ok", "degraded", "down", None, "unknown"]


def make_rows(rng, n):
    rows = []
    for i in range(n):
        rows.append([
            i,
            rng.choice(CITIES),
            round(rng.uniform(-50, 5000), rng.choice([0, 1, 2, 4])),
            rng.randint(-10**6, 10**6),
            rng.choice(STATUS),
            "%d.%d%%" % (rng.randrange(100), rng.randrange(10)),
            str(rng.random() * 1e6) if rng.random() < 0.3 else rng.randrange(1000),
        ])
    return rows


def main():
    rng = random.Random(77)
    headers = ["id", "city", "value", "delta", "status", "share", "mixed"]
    rows = make_rows(rng, 3000)
    dict_rows = [dict(zip(headers, r)) for r in rows[:800]]
    digest = hashlib.sha256()
    for fmt in ["plain", "simple", "grid", "pipe", "github", "orgtbl", "rst", "psql", "html", "latex", "tsv", "fancy_grid", "rounded_outline"]:
        digest.update(tabulate(rows[:2000], headers=headers, tablefmt=fmt).encode())
    digest.update(tabulate(rows, headers="firstrow", floatfmt=".3f", missingval="n/a").encode())
    digest.update(tabulate(dict_rows, headers="keys", tablefmt="github", numalign="right", stralign="center").encode())
    digest.update(tabulate(rows[:500], headers=headers, tablefmt="grid", maxcolwidths=[None, 6, None, None, None, None, 8]).encode())
    digest.update(tabulate(rows[:700], headers=headers, showindex=True, disable_numparse=False, intfmt=",").encode())
    for start in range(0, 3000, 50):
        digest.update(tabulate(rows[start:start + 50], headers=headers, tablefmt="simple").encode())
    print("checksum", digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
