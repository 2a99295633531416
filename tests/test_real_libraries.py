"""benchmarks/real_libraries.py without the network: its static scan, its tables from a
report.json the engine wrote, and that every pinned library has a workload that compiles.
(The runs themselves download from PyPI: `python benchmarks/real_libraries.py`.)"""
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from doubles import quiet_view, run_repo
from optimizer.measure.runner import MeasureSettings
from optimizer.propose.patterns import PatternProposer
from optimizer.settings import RunSettings
from repos import make_repo

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("real_libraries", ROOT / "benchmarks" / "real_libraries.py")
real_libraries = importlib.util.module_from_spec(spec)
sys.modules["real_libraries"] = real_libraries
spec.loader.exec_module(real_libraries)

LIB = {
    "wordy/__init__.py": "import re\n\n\ndef underscore(word):\n    return re.sub(r\"([a-z])([A-Z])\", r\"\\1_\\2\", word).lower()\n",
    "wordy/bag.py": "def total(xs):\n    return sum(x for x in xs)\n\n\ndef plain(x):\n    return x + 1\n",
    "tests/test_wordy.py": ("from wordy import underscore\nfrom wordy.bag import total\n\n\ndef test_it():\n"
                            "    assert underscore('DeviceType') == 'device_type'\n    assert total([1, 2]) == 3\n"
                            "    assert sum(x for x in [1]) == 1\n"),
    "bench.py": "from wordy import underscore\n\nfor _ in range(20000):\n    underscore('HTTPServerError')\n",
}


@pytest.mark.parametrize("name", sorted(real_libraries.LIBRARIES))
def test_every_library_is_pinned_permissive_and_has_a_workload(name):
    requirement, licence = real_libraries.LIBRARIES[name]
    assert "==" in requirement and licence in {"MIT", "BSD-3-Clause", "BSD-2-Clause", "Apache-2.0", "PSF-2.0"}
    workload = real_libraries.WORKLOADS / f"{name}.py"
    compile(workload.read_text(), str(workload), "exec")


def test_the_static_scan_counts_library_code_only(tmp_path):
    repo = make_repo(tmp_path / "r", LIB, git=False)
    hits = real_libraries.static_matches(repo)
    assert hits["hoist-regex-compile"] == ["wordy.underscore"]
    assert hits["needless-copy"] == ["wordy.bag.total"]
    assert all(not w.startswith(("tests", "bench")) for where in hits.values() for w in where)


@pytest.mark.slow
def test_the_tables_come_from_a_real_report(tmp_path):
    """A real offline run on a small library (the module-level regex constant is kept or
    not, as measured): the tables name its target, its candidate and its fate."""
    repo = make_repo(tmp_path / "r", LIB)
    settings = RunSettings(repo=repo, out_dir=tmp_path / "out", bench="python bench.py", max_targets=1,
                           measure=MeasureSettings(rounds=3), bench_rounds=3, search_seconds=0)
    report = json.loads(json.dumps(run_repo(settings, [PatternProposer()], quiet_view()).to_json()))
    rows = real_libraries.summarize(report)
    assert [r["target"] for r in rows] == ["wordy.underscore"]
    assert [c["origin"] for c in rows[0]["candidates"]] == ["pattern:hoist-regex-compile"]
    entry = {"requirement": "wordy==1.0", "license": "MIT", "static": {"hoist-regex-compile": ["x"]},
             "bench_seconds": 0.1, "exit_code": 0, "seconds": 1.0, "targets": rows}
    table = real_libraries.markdown({"wordy": entry})
    assert "| wordy 1.0 |" in table and "hoist-regex-compile" in table
    text = real_libraries.text_table({"wordy": entry})
    assert "wordy.underscore" in text and "hoist-regex-compile: " in text
