"""A corpus of originals and candidate rewrites, as data, for tests/test_corpus.py.

Each module here holds one original function (or method) of a small library:
  TARGET    the qualname of the function under test ("func" or "Class.method")
  ORIGINAL  the text of the library module (lib/<name>.py in the built repo)
  TESTS     the text of its deliberately WEAK pytest file (tests/test_<name>.py):
            it exercises the function, so calls are captured, but does not catch
            any of the wrong candidates
  WRONG     wrong-but-plausible replacements, each with the leading words of the
            reason verification must give
  RIGHT     correct replacements that are genuinely faster, which must be accepted
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import NamedTuple


class Wrong(NamedTuple):
    source: str                      # the replacement definition
    reason: str | tuple[str, ...]    # the expected reason's leading words (or any of these)
    why: str                         # what is wrong with it, in a few words
    imports: tuple[str, ...] = ()    # module-level imports it needs
    gap: str = ""                    # a known gap of the layer: expected to slip through (xfail)


class Right(NamedTuple):
    source: str
    why: str                         # what makes it faster
    imports: tuple[str, ...] = ()


def originals() -> dict:
    """name -> corpus module, for every module of this package."""
    return {info.name: importlib.import_module(f"{__name__}.{info.name}")
            for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)}
