"""The workload: what a day of log processing looks like."""
import random

from dedupe.core import reachable, unique_ordered

rng = random.Random(1)
for _ in range(10):
    unique_ordered([rng.randrange(1000) for _ in range(2000)])
graph = {i: [i + 1, (i * 7) % 4000] for i in range(4000)}
reachable(graph, 0)
