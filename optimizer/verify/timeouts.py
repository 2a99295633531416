"""Timeouts for candidate runs, derived from the original's own timings.

A fixed generous limit would let each hung candidate (an infinite loop, a
sleep, a deadlock) cost minutes; a limit of a few times what the original
needed costs seconds and still leaves a slower-but-correct candidate room to
finish (it will not be kept anyway). The floors absorb start-up jitter on a
busy machine.
"""
from __future__ import annotations

from .capture import Baseline


def import_timeout(b: Baseline) -> float:
    return 10 + 2 * b.startup_seconds


def tests_timeout(b: Baseline) -> float:
    return 10 + 2 * b.startup_seconds + 10 * b.tests_seconds


def data_seconds(b: Baseline) -> float:
    """What loading the stored calls and outcomes, and comparing results with them, may take:
    with the workload's real sizes (issue #18) they can be hundreds of MB (toolz's groupby on
    200,000 records timed out at 21 s before a single sample), about 0.2 s per MB allowed."""
    size = 0
    for path in (b.calls_file, b.expected_file):
        try:
            size += path.stat().st_size if path is not None else 0
        except OSError:
            pass
    return 0.2 * size / 1e6


def replay_timeout(b: Baseline) -> float:
    """The replay also stops each call at 20x the original's slowest (bootstrap/replay.py)."""
    return 15 + 2 * b.startup_seconds + 20 * sum(b.call_seconds.values()) + data_seconds(b)


def trace_timeout(b: Baseline) -> float:
    """Line tracing slows a call down some 50-fold."""
    return 10 + 2 * b.startup_seconds + 200 * max(b.call_seconds.values(), default=0.0) + data_seconds(b)


def worker_timeout(b: Baseline, settings) -> float:
    """A timing worker (settings: MeasureSettings): warm-up plus samples, or cold passes."""
    one_pass = sum(b.call_seconds.get(str(i), 0.0) for i in b.workload)
    return (15 + 2 * b.startup_seconds + 20 * ((settings.samples_per_worker + 1) * settings.sample_seconds + one_pass)
            + 2 * data_seconds(b))     # the worker checks both its warm-up's and its samples' outcomes


def bench_timeout(b: Baseline) -> float:
    return 30 + 5 * b.bench_seconds
