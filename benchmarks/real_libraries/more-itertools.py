"""Workload: log/event-stream processing with more-itertools' public helpers."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import more_itertools as mi

LEVELS = ["DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"]
SERVICES = ["api", "db", "cache", "auth", "worker", "web"]


def make_events(rng, n):
    levels = rng.choices(LEVELS, k=n)
    services = rng.choices(SERVICES, k=n)
    latencies = rng.choices(range(1, 500), k=n)
    users = rng.choices(range(3000), k=n)
    return [(i, lv, sv, la, "u%d" % us) for i, (lv, sv, la, us) in enumerate(zip(levels, services, latencies, users))]


def process_day(events, out):
    # Batching and windowing.
    out.append(sum(len(b) for b in mi.chunked(events, 250)))
    out.append(sum(len(b) for b in mi.chunked_even(events, 333)))
    lat = [e[3] for e in events]
    out.append(max(sum(w) for w in mi.windowed(lat[:20000], 10)))
    out.append(sum(1 for _ in mi.sliced(lat, 64)))
    out.append(len(list(mi.constrained_batches([e[4] for e in events[:20000]], 200, max_count=40))))

    # Grouping and classification.
    b = mi.bucket(events, key=lambda e: e[2])
    out.append([(s, mi.ilen(b[s])) for s in SERVICES])
    per_level = mi.map_reduce(events, keyfunc=lambda e: e[1], valuefunc=lambda e: e[3], reducefunc=sum)
    out.append(sorted(per_level.items()))
    slow, fast = mi.partition(lambda e: e[3] < 250, events)
    out.append((mi.ilen(slow), mi.ilen(fast)))
    out.append(len(list(mi.unique_everseen(e[4] for e in events))))
    out.append(len(list(mi.unique_justseen(e[2] for e in events))))
    out.append(len(list(mi.duplicates_everseen(e[4] for e in events[:30000]))))
    out.append([(k, n) for k, n in mi.run_length.encode(e[1] for e in events[:2000])][:20])
    errs = list(mi.locate(events, lambda e: e[1] == "ERROR"))
    out.append((len(errs), errs[:5]))
    out.append([len(g) for g in mi.split_before(lat[:20000], lambda x: x > 495)][:20])
    out.append([len(g) for g in mi.split_when(lat[:20000], lambda a, b: b < a - 400)][:20])
    out.append([list(g) for g in mi.consecutive_groups(sorted(set(e[0] % 7919 for e in events[::3])))][:3])



def combinatorics(out):
    # Combinatorics on small inputs (realistic: test-case generation).
    out.append(mi.ilen(mi.distinct_permutations("aabbccde")))
    out.append(mi.ilen(mi.set_partitions(range(9), 3)))
    out.append(mi.ilen(mi.distinct_combinations([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], 5)))
    out.append(mi.ilen(mi.powerset(range(14))))
    out.append(mi.nth_permutation(range(12), 12, 123456))
    out.append(mi.permutation_index((3, 1, 4, 0, 5, 2, 7, 6, 9, 8), range(10)))



def reshape(events, out):
    lat = [e[3] for e in events]
    # Flattening and reshaping.
    nested = [[e[0], [e[3], (e[1], [e[2]])]] for e in events[:15000]]
    out.append(mi.ilen(mi.collapse(nested)))
    out.append(mi.ilen(mi.interleave_longest(*[lat[i::7] for i in range(7)])))
    out.append(sum(mi.flatten(mi.distribute(4, lat))))
    s = mi.sort_together([[e[3] for e in events[:20000]], [e[0] for e in events[:20000]]], reverse=True)
    out.append(s[1][:10])
    out.append(mi.ilen(mi.intersperse(0, lat, n=3)))
    out.append(mi.ilen(mi.padded(lat[:9999], fillvalue=0, n=128, next_multiple=True)))
    out.append(mi.minmax(lat))
    out.append(mi.is_sorted(sorted(lat)))
    out.append(mi.all_unique(e[0] for e in events))
    out.append(mi.ilen(mi.unique_in_window(lat[:20000], 50)))
    out.append(mi.first(mi.strip(lat, lambda x: x < 100)))
    out.append(sum(x for _, x in mi.zip_offset(lat, lat, offsets=(0, 1))))
    out.append(mi.ilen(mi.difference(lat)))
    out.append(mi.ilen(mi.groupby_transform(sorted(e[2] for e in events), keyfunc=None, valuefunc=len)))


def main():
    rng = random.Random(2024)
    out = []
    for day in range(5):
        events = make_events(rng, 60000)
        process_day(events, out)
        reshape(events, out)
    combinatorics(out)
    print("checksum", hashlib.sha256(repr(out).encode()).hexdigest()[:16])


if __name__ == "__main__":
    main()
