"""A flame graph as inline SVG, from the collapsed stacks report.json carries
(profilers/flame.py). No library renders Python's collapsed stacks to a static SVG
without scripts (py-spy's and inferno's graphs carry JavaScript), and the drawing is
a few rectangles: the outermost frame at the bottom, each box as wide as its share of
the samples, its full name, samples and share in a hover title.

Colours: the optimized targets red, the repository's own code orange, everything
else (pytest, the standard library, dependencies) grey-blue.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from html import escape

from profilers.flame import parse_collapsed

WIDTH = 1100
ROW = 17
CHAR_PX = 6.3        # an 11 px sans-serif character, roughly
MIN_BOX_PX = 0.5


@dataclass
class _Box:
    name: str
    samples: int = 0
    children: dict[str, "_Box"] = field(default_factory=dict)


def flame_svg(flame: dict, targets: set[str], title: str) -> str:
    """`flame`: {"stacks", "samples", "own_files", ...}; `targets`: frame names
    (`func (file)`) to mark as the run's targets."""
    root = _Box("all")
    for frames, count in parse_collapsed(flame.get("stacks", [])):
        node = root
        node.samples += count
        for name in frames:
            node = node.children.setdefault(name, _Box(name))
            node.samples += count
    if root.samples == 0:
        return ""
    own = set(flame.get("own_files", []))
    depth = _depth(root)
    height = (depth + 1) * ROW + 24
    scale = WIDTH / root.samples
    parts: list[str] = []

    def draw(box: _Box, x: float, level: int) -> None:
        width = box.samples * scale
        if width < MIN_BOX_PX:
            return
        y = height - (level + 1) * ROW
        share = box.samples / root.samples
        parts.append(f'<g><title>{escape(box.name)}: {box.samples} samples, {100 * share:.1f}%</title>'
                     f'<rect x="{x:.1f}" y="{y}" width="{max(width - 0.5, 0.5):.1f}" height="{ROW - 1}" '
                     f'fill="{_color(box.name, targets, own)}" rx="1"/>')
        chars = int((width - 6) / CHAR_PX)
        if chars >= 3:
            label = box.name if len(box.name) <= chars else box.name[:chars - 1] + "…"
            parts.append(f'<text x="{x + 3:.1f}" y="{y + ROW - 5}">{escape(label)}</text>')
        parts.append("</g>")
        for child in sorted(box.children.values(), key=lambda b: b.name):
            draw(child, x, level + 1)
            x += child.samples * scale

    draw(root, 0.0, 0)
    return (f'<svg class="flame" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" font-family="sans-serif" font-size="11">'
            f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>'
            + "".join(parts) + "</svg>")


def target_frames(targets: dict[str, dict]) -> set[str]:
    """The names the targets' frames may have in the collapsed stacks (the sampler names a
    method by its own name or by its qualified name, depending on the Python version)."""
    names = set()
    for info in targets.values():
        if info.get("file") and info.get("qualname"):
            names |= {f"{info['qualname']} ({info['file']})", f"{info['qualname'].rsplit('.', 1)[-1]} ({info['file']})"}
    return names


def _depth(box: _Box) -> int:
    return 1 + max((_depth(c) for c in box.children.values()), default=0)


def _color(name: str, targets: set[str], own: set[str]) -> str:
    if name in targets:
        return "#e74c3c"
    file = name[name.rfind(" (") + 2:-1] if name.endswith(")") else ""
    wobble = zlib.crc32(name.encode()) % 40   # neighbours differ a little
    if file in own:
        return f"hsl({25 + wobble // 4}, 85%, {62 + wobble // 8}%)"
    if name == "all":
        return "#d5d8dc"
    return f"hsl({200 + wobble // 2}, 25%, {70 + wobble // 8}%)"
