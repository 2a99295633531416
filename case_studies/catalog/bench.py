"""The workload: a day of log, order and inventory processing, every function of the corpus.

Inputs come in batches of a few thousand items, sized so each function's slow spot
dominates its time while every call stays small enough (well under 1 MB pickled) for
the optimizer to capture and replay it. Deterministic (seeded); `python bench.py`
takes 1-3 s, `python bench.py -v` prints the time spent in each function.
"""
import random
import sys
import time

from catalog_demo.graph import grid_routes, hop_distances
from catalog_demo.metrics import count_above_average, price_range, scaled_total, to_fahrenheit
from catalog_demo.records import Job, batch_status, join_orders, revenue_for_skus, skus_in_stock
from catalog_demo.text import count_error_lines, render_csv, unique_words, word_counts

rng = random.Random(7)
timings = {}


def timed(name, fn, calls):
    """Call fn once per argument tuple of `calls`, adding the time to timings[name]."""
    start = time.perf_counter()
    for args in calls:
        fn(*args)
    timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


# text: word lists, log lines and CSV exports
vocabulary = [f"word{i}" for i in range(4000)]
timed("text.unique_words", unique_words,
      [([rng.choice(vocabulary) + rng.choice(["", " ", "  "]) for _ in range(6000)],) for _ in range(2)])
timed("text.word_counts", word_counts,
      [([rng.choice(vocabulary) for _ in range(20000)],) for _ in range(12)])
levels = ["INFO", "DEBUG", "WARNING", "ERROR", "CRITICAL"]
timed("text.count_error_lines", count_error_lines,
      [([f"2024-03-{day:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d} "
         f"{rng.choice(levels)} request {i} served" for i in range(5000)],) for day in range(1, 17)])
parts = ["bolt", "nut", "washer", "hinge", "bracket"]
timed("text.render_csv", render_csv,
      [([(f"SKU{b:02d}{i:05d}", rng.choice(parts), rng.randrange(500)) for i in range(5000)],)
       for b in range(20)])

# records: job batches, orders, customers, inventory
batches = []
for b in range(60):
    jobs = [Job(b * 10000 + j, "ok", round(rng.random(), 3)) for j in range(3000)]
    if b % 3:
        jobs[rng.randrange(300)] = Job(b * 10000, "error", 0.0)   # most batches fail early
    batches.append((jobs,))
timed("records.batch_status", batch_status, batches)
customers = [{"id": i, "name": f"customer {i}"} for i in range(2000)]
orders = [{"id": i, "customer_id": rng.randrange(2200), "total": round(rng.uniform(5, 500), 2)}
          for i in range(2000)]
timed("records.join_orders", join_orders, [(orders, customers)])
catalog_skus = [f"SKU{i:05d}" for i in range(2000)]
timed("records.revenue_for_skus", revenue_for_skus,
      [([{"sku": rng.choice(catalog_skus), "amount": rng.randrange(1, 200)} for _ in range(5000)],
        rng.sample(catalog_skus, 400)) for _ in range(2)])
timed("records.skus_in_stock", skus_in_stock,
      [([{"sku": f"SKU{b:02d}{i:04d}", "quantity": max(0, rng.randrange(-10, 100))} for i in range(8000)],)
       for b in range(20)])

# graph: a wide warehouse network (each node leads to four more), and grid routes
network = {i: [4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4] for i in range(7000)}
timed("graph.hop_distances", hop_distances, [(network, 0), (network, 1)])
timed("graph.grid_routes", grid_routes, [(11, 11)])

# metrics: sensor readings, quantities, temperatures, prices
timed("metrics.count_above_average", count_above_average,
      [([round(rng.uniform(10, 30), 2) for _ in range(3000)],) for _ in range(2)])
timed("metrics.scaled_total", scaled_total,
      [([rng.randrange(1, 50) for _ in range(20000)], 3) for _ in range(15)])
timed("metrics.to_fahrenheit", to_fahrenheit,
      [([round(rng.uniform(-20, 40), 1) for _ in range(10000)],) for _ in range(20)])
timed("metrics.price_range", price_range,
      [([round(rng.uniform(1, 1000), 2) for _ in range(5000)],) for _ in range(40)])

if "-v" in sys.argv:
    for name, seconds in timings.items():
        print(f"{name:32s} {seconds * 1000:8.1f} ms")
    print(f"{'total':32s} {sum(timings.values()) * 1000:8.1f} ms")
