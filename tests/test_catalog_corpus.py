"""The offline catalog on two functions of the corpus (case_studies/catalog), through the
loop with real capture, verification and measurement: the algorithmic patterns keep
large verified speedups there (on the calls its bench.py makes). (All 14 functions: benchmarks/catalog_corpus.py.)"""
import shutil
from pathlib import Path

import pytest

from optimizer.settings import RunSettings as RunConfig
from optimizer.measure.runner import MeasureSettings
from doubles import quiet_view, run_repo
from optimizer.propose.patterns import PatternProposer

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).resolve().parent.parent / "case_studies" / "catalog"


@pytest.mark.parametrize("target,pattern", [("catalog_demo.records.join_orders", "nested-loop-join-to-dict"),
                                            ("catalog_demo.graph.grid_routes", "memoize-pure-recursion")])
def test_the_catalog_keeps_a_verified_speedup(tmp_path, target, pattern):
    repo = tmp_path / "catalog"
    shutil.copytree(CORPUS, repo)
    # The patterns' preconditions and gains are under test here, not the input search or the
    # second opinion (each tested on its own): without them, half the time (~70 s, not ~150 s).
    config = RunConfig(repo=repo, out_dir=tmp_path / "out", target=target, bench="python bench.py",
                       measure=MeasureSettings(rounds=3), bench_rounds=3, search_seconds=0, second_opinion=False)
    report = run_repo(config, [PatternProposer()], quiet_view())
    [kept] = report.kept
    assert pattern in kept.candidate.origin and kept.measurement.ci[0] > 2.0, kept.measurement
    assert not any("bug in the pattern" in n for n in report.notes)
