"""The tool's own folder (response cache, kept examples, runs), from one place:
$OPTIMIZE_HOME, else the user cache folder platformdirs gives for "optimize"
(~/.cache/optimize on Linux). The test suite sets $OPTIMIZE_HOME (conftest.py),
so it never writes to the real home."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def home() -> Path:
    given = os.environ.get("OPTIMIZE_HOME")
    if given:
        return Path(os.path.expanduser(given))
    import platformdirs

    return Path(platformdirs.user_cache_dir("optimize", appauthor=False))


def runs_dir() -> Path:
    return home() / "runs"


def write_atomically(path: Path, data: bytes) -> None:
    """Whole or not at all: a reader (another run, a resume) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
