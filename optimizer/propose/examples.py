"""Few-shot examples for the model: slow->fast pairs similar to the target.

The PIE study (Shypula et al., "Learning Performance-Improving Code Edits")
found that retrieving programs similar to the one being optimised and showing a
few of their slow->fast pairs beat every other prompting strategy by far. This
module does the same for Python functions:

- `bundled()`: hand-written pairs shipped in prompts/examples/pairs.toml, each
  one proven behaviour-identical on its inputs by tests/test_examples.py;
- `KeptExamples`: edits this machine's earlier runs kept (a JSON-lines file in
  $OPTIMIZE_HOME, default ~/.cache/optimize), so retrieval learns locally;
- `retrieve(code, k)`: the k examples whose slow code looks most like `code`;
- `render_examples(...)`: plain dicts for the prompt template.

Similarity is TF-IDF cosine over tokens read from the code's syntax tree (see
`_features`); no external dependencies, deterministic (ties broken by id).
"""
from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
import textwrap
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..home import home

BUNDLED = "bundled"
KEPT = "kept on this machine"
KEPT_FILE = "kept-examples.jsonl"


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    slow: str
    fast: str
    source: str          # BUNDLED or KEPT


# ---------------------------------------------------------------------------
# Bundled pairs

@lru_cache(maxsize=1)
def _bundled() -> tuple[Example, ...]:
    text = resources.files("prompts").joinpath("examples", "pairs.toml").read_text(encoding="utf-8")
    pairs = tomllib.loads(text).get("pair", [])
    out = []
    for i, pair in enumerate(pairs):
        try:
            out.append(Example(id=pair["id"], title=pair["title"], slow=pair["slow"], fast=pair["fast"],
                               source=BUNDLED))
        except KeyError as e:
            raise ValueError(f"prompts/examples/pairs.toml: pair #{i + 1} has no {e.args[0]!r}") from None
    return tuple(out)


def bundled() -> list[Example]:
    """The pairs shipped with the package (read once)."""
    return list(_bundled())


# ---------------------------------------------------------------------------
# Edits kept on this machine

def _clean_text(value) -> bool:
    """A str that can go into a prompt as UTF-8 (JSON may smuggle in lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class KeptExamples:
    """Slow->fast pairs kept by earlier runs, one JSON object per line:
    {"target": ..., "slow": ..., "fast": ..., "speedup": ...}.

    Best effort by design: a store that cannot be read or written never stops a
    run; it just contributes nothing. Only the newest MAX_LOADED distinct pairs
    are loaded, so a long history does not slow every retrieval down."""

    MAX_LOADED = 500

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else home() / KEPT_FILE

    def _records(self) -> list[dict]:
        """The well-formed records, in file order; unreadable file -> []."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return []
        records = []
        for raw in data.splitlines():
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if (isinstance(rec, dict) and all(_clean_text(rec.get(f)) for f in ("target", "slow", "fast"))
                    and isinstance(rec.get("speedup"), (int, float)) and not isinstance(rec["speedup"], bool)
                    and math.isfinite(rec["speedup"])):
                records.append(rec)
        return records

    def add(self, target_name: str, slow: str, fast: str, speedup: float) -> None:
        """Record one kept edit; an identical (slow, fast) pair already stored is skipped.
        Never raises for I/O trouble (missing permissions, full disk, ...)."""
        speedup = float(speedup)
        if slow.strip() == fast.strip() or not math.isfinite(speedup):
            return
        line = json.dumps({"target": target_name, "slow": slow, "fast": fast, "speedup": speedup}) + "\n"
        try:
            if any(r["slow"] == slow and r["fast"] == fast for r in self._records()):
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write() on an O_APPEND descriptor: concurrent runs do not interleave lines.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError:
            return

    def load(self) -> list[Example]:
        """The stored pairs as Examples (newest MAX_LOADED distinct ones, oldest first); corrupt lines ignored."""
        by_id: dict[str, Example] = {}
        for rec in self._records():
            digest = hashlib.sha256(f"{rec['slow']}\0{rec['fast']}".encode()).hexdigest()
            ex = Example(id=f"kept-{digest[:12]}",
                         title=f"kept earlier: {rec['target']}, {rec['speedup']:.1f}x faster",
                         slow=rec["slow"], fast=rec["fast"], source=KEPT)
            by_id.setdefault(ex.id, ex)
        return list(by_id.values())[-self.MAX_LOADED:]


# ---------------------------------------------------------------------------
# Retrieval
#
# What makes two functions call for the same optimisation is mostly *which
# operations they perform where*: `x in some_list` inside a loop, `.pop(0)` in a
# while loop, `+=` on a string, `sorted(...)[0]`, a function calling itself. So
# the features are:
#   - called functions and methods (`call:sorted`, `call:.append`, `call:re.compile`),
#     and a call's small constant first argument (`call:.pop(0)`, `call:.insert(0)`);
#   - attribute names (`attr:keys`), exception names caught (`except:KeyError`);
#   - node types (`For`, `While`, `ListComp`, `Lambda`, `Try`...), comparison and
#     arithmetic operators (`cmp:NotIn`, `op:Add`, `aug:Add`);
#   - a few shapes: augmented assignment to a name first bound to a str/list/...
#     literal (`aug:Add:str` is string building), subscripting a call's result
#     (`sub:call:sorted`), a loop inside a loop, a function calling itself;
#   - the same call/compare/augmented-assignment/subscript tokens again with a
#     `loop:` prefix when they sit inside a loop or comprehension (the hot spot);
#   - identifier sub-words (`seen_list` -> `seen`, `list`) at half weight: names
#     hint at intent (queue, seen, counts, cache) but are less reliable than the
#     operations themselves.
# TF-IDF (sublinear term frequency, idf over the pool) down-weights what every
# example has (a `FunctionDef`, a `Return`) and cosine similarity ignores length.

_SKIP_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SUBWORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_WEIGHT = 0.5


def _subwords(name: str) -> list[str]:
    return [w.lower() for w in _SUBWORD.findall(name) if len(w) > 1]


def _literal_kind(node: ast.AST) -> str | None:
    """'str', 'list', ... for a literal (or empty container call) a name is first bound to."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool) and node.value is not None:
        return type(node.value).__name__
    if isinstance(node, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(node, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(node, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(node, ast.Tuple):
        return "tuple"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "list", "dict", "set", "str", "bytes", "deque", "Counter", "defaultdict", "bytearray"):
        return node.func.id
    return None


def _callee(func: ast.expr) -> list[str]:
    if isinstance(func, ast.Name):
        return [f"call:{func.id}"]
    if isinstance(func, ast.Attribute):
        names = [f"call:.{func.attr}"]
        if isinstance(func.value, ast.Name):
            names.append(f"call:{func.value.id}.{func.attr}")
        return names
    return ["call:?"]


class _Collector(ast.NodeVisitor):
    def __init__(self, kinds: dict[str, str], functions: set[str]):
        self.tokens: Counter[str] = Counter()
        self.kinds = kinds            # name -> literal kind it was first bound to
        self.functions = functions    # names of the functions defined in the code
        self.loops = 0

    def add(self, token: str, hot: bool = False) -> None:
        self.tokens[token] += 1
        if hot and self.loops:
            self.tokens["loop:" + token] += 1

    def word(self, name: str) -> None:
        for w in _subwords(name):
            self.tokens["w:" + w] += 1

    def generic_visit(self, node: ast.AST) -> None:
        if not isinstance(node, _SKIP_NODES):
            self.tokens[type(node).__name__] += 1
        loop = isinstance(node, _LOOPS)
        if loop:
            if self.loops:
                self.add("nested-loop")
            self.loops += 1
        super().generic_visit(node)
        if loop:
            self.loops -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.word(node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_arg(self, node: ast.arg) -> None:
        self.word(node.arg)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.word(node.id)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.add(f"attr:{node.attr}")
        self.word(node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        for name in _callee(node.func):
            self.add(name, hot=True)
        if isinstance(node.func, ast.Name) and node.func.id in self.functions:
            self.add("recursive")
        if (isinstance(node.func, ast.Attribute) and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, int) and -2 <= node.args[0].value <= 2):
            self.add(f"call:.{node.func.attr}({node.args[0].value})", hot=True)
        for kw in node.keywords:
            if kw.arg:
                self.add(f"kw:{kw.arg}")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op in node.ops:
            self.add(f"cmp:{type(op).__name__}", hot=True)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.add(f"op:{type(node.op).__name__}", hot=True)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.add(f"op:{type(node.op).__name__}")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.add(f"op:{type(node.op).__name__}")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        op = type(node.op).__name__
        self.add(f"aug:{op}", hot=True)
        if isinstance(node.target, ast.Name) and node.target.id in self.kinds:
            self.add(f"aug:{op}:{self.kinds[node.target.id]}", hot=True)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        kind = _literal_kind(node.value)
        if kind:
            self.add(f"init:{kind}")
        # `s = s + part` is the same string building as `s += part`
        if (isinstance(node.value, ast.BinOp) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value.left, ast.Name) and node.value.left.id == node.targets[0].id):
            op = type(node.value.op).__name__
            self.add(f"aug:{op}", hot=True)
            if node.targets[0].id in self.kinds:
                self.add(f"aug:{op}:{self.kinds[node.targets[0].id]}", hot=True)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.value, ast.Call):
            for name in _callee(node.value.func):
                self.add("sub:" + name)
        if isinstance(node.slice, ast.Slice):
            self.add("sub:slice", hot=True)
        elif isinstance(node.slice, ast.Constant):
            self.add(f"sub:const:{node.slice.value!r}"[:40])
        else:
            self.add("sub:index", hot=True)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type] if node.type else []
        for t in types:
            if isinstance(t, ast.Name):
                self.add(f"except:{t.id}")
        self.generic_visit(node)


@lru_cache(maxsize=2048)
def _features(code: str) -> dict[str, float]:
    """Weighted term frequencies (1 + log tf, sub-words at half weight) of one piece of code."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError):
        # Not parseable (a fragment, another Python version's syntax): identifier sub-words only.
        words = Counter("w:" + w for name in _IDENT.findall(code) for w in _subwords(name))
        return {t: _WORD_WEIGHT * (1 + math.log(n)) for t, n in words.items()}
    kinds: dict[str, str] = {}
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.add(node.name)
        elif isinstance(node, ast.Assign):
            kind = _literal_kind(node.value)
            for target in node.targets:
                if kind and isinstance(target, ast.Name):
                    kinds.setdefault(target.id, kind)
    collector = _Collector(kinds, functions)
    collector.visit(tree)
    return {t: (_WORD_WEIGHT if t.startswith("w:") else 1.0) * (1 + math.log(n))
            for t, n in collector.tokens.items()}


def _vector(tf: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    vec = {t: w * idf[t] for t, w in tf.items() if t in idf}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def retrieve(code: str, k: int = 3, pool: list[Example] | None = None) -> list[Example]:
    """The k examples (distinct ids) whose slow code is most similar to `code`, most similar first.

    pool defaults to the bundled pairs plus the ones kept on this machine. Examples
    with no similarity at all are still returned (after the similar ones) so the model
    always sees k examples when the pool has them; equal scores are ordered by id."""
    if k <= 0:
        return []
    if pool is None:
        pool = bundled() + KeptExamples().load()
    unique: dict[str, Example] = {}
    for ex in pool:
        unique.setdefault(ex.id, ex)
    examples = list(unique.values())
    if not examples:
        return []
    docs = [_features(ex.slow) for ex in examples]
    df: Counter[str] = Counter(t for doc in docs for t in doc)
    n = len(docs)
    idf = {t: math.log(1 + n / d) for t, d in df.items()}
    query = _vector(_features(code), idf)
    scored = []
    for ex, doc in zip(examples, docs):
        vec = _vector(doc, idf)
        score = sum(w * vec.get(t, 0.0) for t, w in query.items())
        scored.append((-round(score, 12), ex.id, ex))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [ex for _, _, ex in scored[:k]]


def render_examples(examples: list[Example]) -> list[dict]:
    """Plain dicts for the prompt template: title, slow, fast, source (code without surrounding blank lines)."""
    return [{"title": ex.title, "slow": ex.slow.strip("\n"), "fast": ex.fast.strip("\n"), "source": ex.source}
            for ex in examples]
