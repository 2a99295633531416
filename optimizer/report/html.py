"""report.html: one self-contained page per run, rendered from report.json alone.

Rendering from the JSON (not from the engine's objects) means `optimize show --html`
can draw any run again, and the JSON carries everything the page shows. The page
loads nothing: styles are inline, charts are `data:` SVG images (charts.py), flame
graphs inline SVG (flame.py), and there is no script at all; a Content-Security-Policy
says so to the browser as well, so even a candidate's text that slipped past escaping
could not fetch or run anything. Everything the run recorded is text from the
candidates' processes or the model: it is escaped by the template (autoescape).
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

from .charts import hotspots_chart, speedup_chart
from .flame import flame_svg, target_frames

TEMPLATES = Path(__file__).with_name("templates")


def write_html(data: dict, path: Path) -> Path:
    """Render `data` (a report.json's content) to `path`, atomically; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(render_html(data))
    tmp.replace(path)
    return path


def html_path_for(json_path: Path) -> Path:
    """report.json -> report.html; any other name.json -> name.html beside it."""
    return json_path.with_suffix(".html")


def render_html(data: dict) -> str:
    import jinja2
    from markupsafe import Markup

    # Lenient about missing fields (not StrictUndefined): a report written by an older
    # version of the tool lacks some, and still renders.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["x"] = lambda v: f"{v:.2f}x" if isinstance(v, (int, float)) else "-"
    env.filters["ci"] = lambda ci: f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""
    env.filters["pct"] = lambda v: f"{100 * v:.1f}%" if isinstance(v, (int, float)) else ""
    env.filters["size"] = _size
    view = _view(data)
    return visible_controls(env.get_template("report.html.jinja").render(**view, css=Markup(_pygments_css())))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible_controls(page: str) -> str:
    """Every control character but newline and tab shown as its escape (`\\x1b`): a
    candidate's code may carry terminal escapes, and the page (which shows the code as
    proposed) must not pass them on to whatever displays it. The page's own markup has
    none, so the whole page is done at once."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", page.replace("\r\n", "\n"))


def _view(data: dict) -> dict:
    """What the template shows, computed from the report: charts, flame graphs, per-target sections."""
    from markupsafe import Markup

    meta = data.get("meta", {})
    settings = meta.get("settings", {})
    threshold = float(settings.get("min_speedup") or 1.05)
    candidates = data.get("candidates", [])
    targets = data.get("targets") or {c["target"]: {} for c in candidates}   # reports before targets were recorded
    frames = target_frames(targets)
    profiles = data.get("profiles", {})
    flames = [(label, Markup(flame_svg(profiles[key], frames, f"{label}: {profiles[key].get('samples', 0)} samples "
                                       f"over {profiles[key].get('seconds', 0):.1f} s ({profiles[key].get('tool')})")))
              for key, label in (("before", "Before"), ("after", "After the kept edits")) if profiles.get(key)]
    file_diffs = {k["target"]: k.get("diff", "") for k in data.get("kept", [])}
    sections = [_target_view(name, info, [c for c in candidates if c["target"] == name],
                             data.get("calibration", {}).get(name), threshold, file_diffs.get(name, ""))
                for name, info in targets.items()]
    return {
        "data": data, "meta": meta, "settings": settings, "threshold": threshold,
        "hotspots_chart": hotspots_chart(data["hotspots"], set(targets)) if data.get("hotspots") else "",
        "flames": flames, "targets": sections, "kept": data.get("kept", []), "llm": data.get("llm", {}),
        "notes": data.get("notes", []),
    }


def _target_view(name: str, info: dict, rows: list[dict], calibration: dict | None, threshold: float,
                 kept_diff: str = "") -> dict:
    """One target's section. `kept_diff`: the kept edit's diff of the whole file (the Kept
    entry's; a candidate's own diff is of its definition alone)."""
    from markupsafe import Markup

    measured = [dict(r, label=f"{r['origin']} ({r['step']})") for r in rows if r.get("speedup") and r.get("ci")]
    noise = tuple(calibration["ci"]) if calibration and calibration.get("ci") else None
    kept = next((r for r in rows if r["status"] == "kept"), None)
    shift = int(info.get("start_line") or 1) - 1
    file_diff = kept_diff or (kept or {}).get("diff", "")
    return {
        "name": name, "info": info,
        "rows": [dict(r, diff_html=Markup(diff_html(r.get("diff", ""), shift))) for r in rows],
        "kept": kept, "kept_diff": Markup(diff_html(file_diff, 0 if kept_diff else shift)) if kept else "",
        "chart": speedup_chart(measured, threshold, noise) if measured else "",
        "noise": noise, "source": Markup(source_html(info)) if info.get("source") else "",
        "status": info.get("status") or ("kept" if kept else "nothing kept"),
    }


# -- code ---------------------------------------------------------------------------------
def highlighted_lines(text: str) -> list[str]:
    """Python source as one HTML string per line, highlighted as a whole (a docstring or a
    string spanning lines stays a string), with pygments' short class names."""
    from html import escape

    from pygments import lex
    from pygments.lexers import PythonLexer
    from pygments.token import STANDARD_TYPES

    lines: list[list[str]] = [[]]
    for ttype, value in lex(text, PythonLexer(stripnl=False, ensurenl=False)):
        while ttype not in STANDARD_TYPES:
            ttype = ttype.parent
        css = STANDARD_TYPES[ttype]
        for i, piece in enumerate(value.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append(f'<span class="{css}">{escape(piece)}</span>' if css else escape(piece))
    return ["".join(parts) for parts in lines]


_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@(.*)$")


def diff_html(diff: str, shift: int = 0) -> str:
    """A unified diff as table rows: added and removed lines marked, each side's code
    highlighted as a whole. `shift`: added to the hunks' line numbers (a candidate's diff
    counts from its function's first line; the page shows the file's)."""
    from html import escape

    lines = diff.splitlines()
    old = [ln[1:] for ln in lines if ln[:1] in (" ", "-") and not ln.startswith("---")]
    new = [ln[1:] for ln in lines if ln[:1] in (" ", "+") and not ln.startswith("+++")]
    old_html, new_html = highlighted_lines("\n".join(old)), highlighted_lines("\n".join(new))
    rows, o, n = [], 0, 0
    for line in lines:
        if line.startswith(("+++", "---")):
            rows.append(f'<tr class="file"><td colspan="2">{escape(line)}</td></tr>')
        elif line.startswith("@@"):
            m = _HUNK.match(line)
            if m and shift:
                line = (f"@@ -{int(m[1]) + shift}{m[2] or ''} +{int(m[3]) + shift}{m[4] or ''} @@{m[5]}")
            rows.append(f'<tr class="hunk"><td colspan="2">{escape(line)}</td></tr>')
        elif line[:1] in (" ", "-", "+"):
            if line[:1] == "+":
                code, n = new_html[n], n + 1
            elif line[:1] == "-":
                code, o = old_html[o], o + 1
            else:
                code, o, n = new_html[n], o + 1, n + 1
            kind = {"+": "add", "-": "del"}.get(line[:1], "ctx")
            rows.append(f'<tr class="{kind}"><td class="sign">{escape(line[:1])}</td><td><code>{code}</code></td></tr>')
        else:   # "\ No newline at end of file"
            rows.append(f'<tr class="hunk"><td colspan="2">{escape(line)}</td></tr>')
    return f'<table class="diff">{"".join(rows)}</table>' if rows else ""


def source_html(info: dict) -> str:
    """The original's source with each line's share of its time (the line profile) as a bar."""
    shares = {int(k): v for k, v in (info.get("line_shares") or {}).items()}
    first = int(info.get("start_line") or 1)
    rows = []
    for i, code in enumerate(highlighted_lines(textwrap.dedent(info["source"]).rstrip("\n"))):
        share = shares.get(first + i, 0.0)
        bar = f'<span class="bar" style="width:{min(100.0, 100 * share):.1f}%"></span>' if share >= 0.001 else ""
        figure = f"{100 * share:.1f}%" if share >= 0.001 else ""
        rows.append(f'<tr><td class="ln">{first + i}</td><td class="share">{bar}<span>{figure}</span></td>'
                    f'<td><code>{code}</code></td></tr>')
    return f'<table class="source">{"".join(rows)}</table>'


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="friendly").get_style_defs("code")


def _size(n) -> str:
    if not isinstance(n, (int, float)):
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
