"""Does a candidate keep results between calls? Then repeated timing loops would
hit its cache and fake speed; such candidates are timed cold (see runner.py).

This is the static shortcut only: a definition that plainly caches (a cache
decorator under its usual name, a literal mutable default, global or nonlocal
state) goes straight to cold mode, judged on first calls. It cannot see the
other routes (a dict on a function attribute, `_c=collections.defaultdict()`,
a closure made by a decorator, a class attribute, lru_cache imported under
another name or applied in a default argument, a dict stashed on another
module...). Those are found by behaviour while measuring: runner.measure
compares how much the candidate's repeated calls gain over its first calls in a
fresh process with the original's gain (stats.caches), and a candidate gaining
far more is judged on first calls too."""
from __future__ import annotations

import ast

_CACHE_DECORATORS = {"cache", "lru_cache", "cached", "memoize", "memoized", "cached_property"}


def memoizes(source: str) -> str:
    """Why the definition looks like it keeps state between calls ('' when it does not)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                name = _name(dec.func if isinstance(dec, ast.Call) else dec)
                if name in _CACHE_DECORATORS:
                    return f"decorated with {name}"
            mutable_defaults = [d for d in node.args.defaults + node.args.kw_defaults
                                if isinstance(d, (ast.Dict, ast.List, ast.Set))
                                or (isinstance(d, ast.Call) and _name(d.func) in ("dict", "list", "set"))]
            if mutable_defaults:
                return "a mutable default argument"
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return f"{type(node).__name__.lower()} state"
    return ""


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
