"""The report's charts, drawn by matplotlib as SVG (text kept as text, so they stay
small and searchable) and embedded as `data:` images: each chart is isolated from the
page and from the others (no shared ids, no scripts), and the page needs no network.

Charts take plain data from report.json; matplotlib is imported only here, lazily.
"""
from __future__ import annotations

import base64
import io
import re

SHARE_COLOR = "#c0392b"     # hotspot bars: the targets
OTHER_COLOR = "#aab7b8"     # the other hotspots
KEPT_COLOR = "#1e8449"
PASSED_COLOR = "#2874a6"
REJECTED_COLOR = "#7f8c8d"
NOISE_COLOR = "#f5cba7"     # the A/A interval band
THRESHOLD_COLOR = "#7d3c98"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "optimize"})
    return plt


def _data_uri(fig) -> str:
    """The figure as an SVG data URI, without the XML prolog's DTD reference and the
    metadata block (the only URLs matplotlib writes)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def hotspots_chart(hotspots: list[dict], targets: set[str], top: int = 12) -> str:
    """Horizontal bars: each hotspot's share of the workload's samples, largest on top;
    the run's targets in red (as in the flame graphs), the others grey."""
    plt = _pyplot()
    rows = hotspots[:top][::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 0.8))
    shares = [100 * h["share"] for h in rows]
    ax.barh(range(len(rows)), shares, height=0.6,
            color=[SHARE_COLOR if h["name"] in targets else OTHER_COLOR for h in rows])
    ax.set_yticks(range(len(rows)), [_short(h["name"], 48) for h in rows])
    for i, v in enumerate(shares):
        ax.text(v, i, f" {v:.1f}%", va="center", fontsize=8)
    ax.set_xlabel("share of the workload's samples (%)")
    ax.set_xlim(0, max(shares + [1]) * 1.15)
    return _data_uri(fig)


def speedup_chart(rows: list[dict], threshold: float, noise: tuple[float, float] | None) -> str:
    """Each measured candidate's speedup with its 95% interval (log scale), against the
    keep threshold (a line) and the A/A interval of an identical copy (a band): a
    candidate is kept only if its whole interval clears the threshold."""
    plt = _pyplot()
    rows = rows[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.36 * len(rows) + 1.0))
    if noise:
        ax.axvspan(noise[0], noise[1], color=NOISE_COLOR, alpha=0.8, lw=0,
                   label=f"A/A noise [{noise[0]:.3f}, {noise[1]:.3f}]")
    ax.axvline(threshold, color=THRESHOLD_COLOR, ls="--", lw=1, label=f"keep threshold {threshold:.2f}x")
    ax.axvline(1.0, color="#555", lw=0.6)
    color = {"kept": KEPT_COLOR, "passed": PASSED_COLOR}
    for i, r in enumerate(rows):
        low, high = r["ci"]
        c = color.get(r["status"], REJECTED_COLOR)
        ax.errorbar(r["speedup"], i, xerr=[[max(0.0, r["speedup"] - low)], [max(0.0, high - r["speedup"])]],
                    fmt="o", color=c, ecolor=c, capsize=3, ms=5)
        ax.text(high * 1.04, i, f" {r['speedup']:.2f}x [{low:.2f}, {high:.2f}]", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [_short(r["label"], 40) for r in rows])
    values = [v for r in rows for v in r["ci"]] + [threshold, 1.0] + (list(noise) if noise else [])
    low, high = min(values), max(values)
    ax.set_xscale("log")
    ax.set_xlim(low / 1.3, high * (4.0 if high / low > 3 else 1.6))
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("speedup (original time / candidate time), 95% interval, log scale")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_xticks(nice_ticks(*ax.get_xlim()), [f"{t:g}x" for t in nice_ticks(*ax.get_xlim())])
    ax.xaxis.set_minor_formatter("")
    return _data_uri(fig)


_NICE = (0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.5, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000,
         2000, 5000, 10000)


def nice_ticks(low: float, high: float, most: int = 8) -> list[float]:
    """Round speedups to label a log axis from `low` to `high`: 1x always, then as many
    others as fit, spread out (a narrow axis gets 0.9x, 1.1x; a wide one 10x, 100x)."""
    nice = _NICE if high / low <= 20 else (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000)
    inside = [t for t in nice if low <= t <= high]
    if len(inside) <= most:
        return inside
    step = -(-len(inside) // most)
    one = inside.index(1) if 1 in inside else 0
    return [t for i, t in enumerate(inside) if (i - one) % step == 0]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]
