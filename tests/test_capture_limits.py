"""Measuring what the workload really does (issue #18): capture keeps the largest calls
whenever they come, its limits are settings, every call not captured is counted by
reason in the report, and a run measured on calls much smaller than the workload's
largest says so as it happens. Through the real command line."""
import json
import subprocess
import sys

import pytest

from optimizer.verify.runs import BOOTSTRAP
from repos import make_repo

sys.path.insert(0, str(BOOTSTRAP))
import sitecustomize as capture_hooks  # noqa: E402  (the capture's own module, as the workers load it)

sys.path.remove(str(BOOTSTRAP))

BIG = 300_000
REPO = {
    "pkg/__init__.py": "",
    "pkg/digest.py": '''
        def checksum(xs):
            h = 0
            for x in xs:
                h = (h * 31 + x) % 1000003
            return h
    ''',
    "tests/test_digest.py": '''
        from pkg.digest import checksum


        def test_small_lists():
            for n in range(1, 41):
                assert 0 <= checksum(list(range(n))) < 1000003
    ''',
    "bench.py": f'''
        from pkg.digest import checksum

        print(checksum(list(range({BIG}))))
    ''',
}


def run(repo, tmp_path, *flags):
    report = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--target", "checksum", "--bench",
                        "python bench.py", "--search-seconds", "0", "--json", str(report), *flags],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    return r.stdout, json.loads(report.read_text())["targets"]["pkg.digest.checksum"]["capture"]


def test_a_calls_weight_counts_what_it_passes():
    assert capture_hooks.weight(([1, 2, 3],), {}) == 3
    assert capture_hooks.weight(({i: [0] * 10 for i in range(100)}, 7), {"key": "abcd"}) == 100 * 10 + 1 + 4
    assert capture_hooks.weight(([[1, 2], [3, 4, 5, 6]],), {}) == 2 * 3   # two lists of three on average
    assert capture_hooks.weight((iter([1, 2]),), {}) == 1                 # not sized: not consumed either


@pytest.mark.slow
def test_the_largest_call_is_kept_whenever_it_comes(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    out, capture = run(repo, tmp_path, "--max-captured", "8")
    # 40 test calls first, the bench's one large call last: it is among the 8 kept all the same
    assert capture["made"] == 41 and capture["captured"] == 8 and capture["heaviest_kept"] == BIG
    assert capture["dropped"] == {"beyond_max_calls": 33} and capture["limits"]["max_call_bytes"] == 64_000_000
    assert "much smaller than the workload's largest" not in out


@pytest.mark.slow
def test_a_call_over_the_limit_is_counted_and_the_run_warns_as_it_happens(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    out, capture = run(repo, tmp_path, "--max-call-mb", "0.5")
    assert capture["dropped"] == {"too_large": 1} and capture["largest_dropped_bytes"] > 500_000
    assert capture["heaviest_made"] == BIG and capture["heaviest_kept"] == 40
    said = " ".join(out.split())   # the view folds long lines
    warning = said.index("pkg.digest.checksum is measured on calls much smaller than the workload's largest: the "
                         "largest captured passes about 40 items, the largest made about 300,000; 1 was over the "
                         "0.5 MB limit per call")
    assert warning < said.index("completed in ")   # said as it happened, before the end
    assert "41 made by the workload, 40 captured, 1 too large" in (tmp_path / "out.html").read_text()


SIZES = {
    "pkg/__init__.py": "",
    "pkg/core.py": '''
        def unique_ordered(items):
            seen = []
            out = []
            for item in items:
                if item not in seen:
                    seen.append(item)
                    out.append(item)
            return out
    ''',
    "tests/test_core.py": '''
        from pkg.core import unique_ordered


        def test_sizes():
            for n in (3, 40, 300, 3000):
                assert unique_ordered([i % (n // 2 + 1) for i in range(n)]) == list(range(min(n, n // 2 + 1)))
    ''',
}


@pytest.mark.slow
def test_the_winner_is_timed_per_size_band(tmp_path):
    repo = make_repo(tmp_path / "r", SIZES)
    report = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--target", "unique_ordered",
                        "--search-seconds", "0", "--no-second-opinion", "--json", str(report)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    [kept] = json.loads(report.read_text())["kept"]
    bands = kept["measurement"]["size_bands"]
    assert list(bands) == ["smallest", "median", "largest"]
    assert [b["items"] for b in bands.values()] == [3, 300, 3000]   # of the calls 3, 40, 300, 3000: the middle one up
    assert all(("speedup" in b and b["ci"][0] <= b["speedup"] <= b["ci"][1]) or "error" in b for b in bands.values())
    said = " ".join(r.stdout.split())
    assert "by call size: smallest (3 items) " in said and "largest (3,000 items) " in said
    assert "by call size:" in (tmp_path / "out.html").read_text()


def test_worker_timeouts_grow_with_the_stored_calls(tmp_path):
    """With real workload sizes the calls and outcomes a worker loads and compares can be
    hundreds of MB (toolz's groupby over 200,000 records timed out before a sample)."""
    from optimizer.measure.runner import MeasureSettings
    from optimizer.verify.capture import Baseline
    from optimizer.verify.timeouts import data_seconds, replay_timeout, worker_timeout

    target = type("T", (), {"name": "pkg.mod.f"})()
    small = Baseline(target=target, call_seconds={"0": 0.01}, workload=[0])
    calls, expected = tmp_path / "calls.pkl", tmp_path / "expected.pkl"
    calls.write_bytes(b"\0" * 30_000_000)
    expected.write_bytes(b"\0" * 20_000_000)
    big = Baseline(target=target, call_seconds={"0": 0.01}, workload=[0], calls_file=calls, expected_file=expected)
    assert data_seconds(small) == 0 and data_seconds(big) == pytest.approx(10.0)
    settings = MeasureSettings()
    assert worker_timeout(big, settings) == pytest.approx(worker_timeout(small, settings) + 20.0)
    assert replay_timeout(big) == pytest.approx(replay_timeout(small) + 10.0)
