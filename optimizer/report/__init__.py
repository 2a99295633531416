"""Report: what a run shows while it works and leaves behind.

    terminal.py   the live view (View, an implementation of protocols.Events) and report.json
    html.py       report.html, rendered from report.json alone (so `optimize show --html`
                  can render any run again): charts (charts.py), flame graphs (flame.py)
    history.py    the SQLite index of runs in the tool's home (`optimize runs`)
"""
from .terminal import View, write_json

__all__ = ["View", "write_json"]
