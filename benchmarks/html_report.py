"""What report.html costs: its size, and the time to render it from report.json.

    python benchmarks/html_report.py [--report PATH] [--renders 5] [--screenshot docs/report.png]

Without --report it first runs the offline default on the case study with its workload
(`optimize case_studies/dedupe --bench "python bench.py"`, about 2-3 minutes: two
targets, both kept, the workload profiled before and after), in a copy of the case
study under a temporary git repository. Then it renders the page --renders times from
the JSON (`optimize show --html` does the same) and reports the page's size, its parts
(the charts, the flame graphs) and the median render time. The goal: under 1 MB on the
case study. --screenshot also takes a headless Chromium screenshot of the page's top,
shrunk to a small palette PNG (the README's picture).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def case_study_report(folder: Path) -> Path:
    repo = folder / "case_studies" / "dedupe"
    shutil.copytree(ROOT / "case_studies" / "dedupe", repo)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "case study"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    out = folder / "run"
    env = {**os.environ, "OPTIMIZE_HOME": str(folder / "home")}
    subprocess.run([sys.executable, "-m", "optimizer", str(repo), "--bench", "python bench.py", "--out", str(out)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return out / "report.json"


def screenshot(page: Path, png: Path, width: int = 1100, height: int = 1700) -> None:
    from PIL import Image

    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if browser is None:
        raise SystemExit("--screenshot needs Chromium (apt-get install -y chromium)")
    raw = png.with_suffix(".raw.png")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={raw}", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    image = Image.open(raw).convert("RGB")
    image.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
    raw.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, help="a report.json to render (default: run the case study)")
    parser.add_argument("--renders", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, help="write a PNG of the page's top here")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    from optimizer.report.html import render_html

    with tempfile.TemporaryDirectory() as tmp:
        report = args.report or case_study_report(Path(tmp))
        data = json.loads(report.read_text())
        seconds = []
        for _ in range(args.renders):
            start = time.perf_counter()
            page = render_html(data)
            seconds.append(time.perf_counter() - start)
        html = Path(tmp) / "report.html"
        html.write_text(page)
        charts = re.findall(r'src="(data:image/svg\+xml;base64,[^"]+)"', page)
        flames = re.findall(r'<svg class="flame".*?</svg>', page, flags=re.S)
        figures = {
            "report_json_bytes": report.stat().st_size,
            "html_bytes": len(page.encode()),
            "charts": len(charts), "chart_bytes": sum(len(c) for c in charts),
            "flame_graphs": len(flames), "flame_bytes": sum(len(f.encode()) for f in flames),
            "flame_stacks": {k: len(v.get("stacks", [])) for k, v in data.get("profiles", {}).items()},
            "render_seconds_median": round(statistics.median(seconds), 3),
            "kept": [(k["target"], k["speedup"]) for k in data.get("kept", [])],
        }
        if args.screenshot:
            screenshot(html, args.screenshot)
            figures["screenshot_bytes"] = args.screenshot.stat().st_size
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
