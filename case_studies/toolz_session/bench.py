"""The workload: counting the tokens of log lines in batches, as a text pipeline does with toolz."""
import random

from toolz import frequencies

rng = random.Random(0)
batches = [[f"user{rng.randrange(2000)}" for _ in range(20_000)] for _ in range(4)]
for _ in range(50):
    for batch in batches:
        frequencies(batch)
