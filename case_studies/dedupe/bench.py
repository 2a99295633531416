"""The workload: what a day of log processing looks like."""
import random

from dedupe.core import reachable, unique_ordered

rng = random.Random(1)
for _ in range(8):
    unique_ordered([rng.randrange(1500) for _ in range(3000)])
# A wide breadth-first search: the queue grows to thousands of nodes.
tree = {i: [2 * i + 1, 2 * i + 2] for i in range(20000)}
reachable(tree, 0)
