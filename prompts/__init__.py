"""Prompt templates for the model proposer, rendered with jinja2.

StrictUndefined makes a missing variable an error at render time rather than
an empty string silently sent to the model.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

_DIR = Path(__file__).parent


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # prompts are plain text; escaping would mangle code
    )


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A hash of every template: a cached answer to an older wording is not reused."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(_DIR.glob("*.jinja")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def render(name: str, /, **variables) -> str:
    """Render prompts/<name>.jinja. `name` is positional-only so a template may use a `name` variable too."""
    return _env().get_template(f"{name}.jinja").render(**variables)
