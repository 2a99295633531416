"""Block-level execution trace of one captured call (LDB-style), run inside the sandbox.

  tracer.py MODULE QUALNAME CALLS_FILE INDEX OUT_JSON

Splits the target function into basic blocks, runs captured call INDEX once
with sys.settrace on the target's own frame only, and writes JSON:
{"function", "blocks", "trace", "hits", "steps", "types", "outcome", "result",
"truncated"}. A trace entry is recorded each time execution leaves a block:
{"step", "block", "state": {name: short repr}} for the locals that block touches,
plus "digest": {name: crc32} for values whose repr was cut (so two long values
that differ only in the middle still compare different).
Line numbers are absolute in the file: basic_blocks(source, first_line) maps
line 1 of `source` to first_line (the default 1 gives lines relative to it).
Standalone on purpose: no optimizer imports.
"""
import ast
import inspect
import json
import pickle
import re
import sys
import textwrap
import zlib
from dataclasses import asdict, dataclass

from harness import load_calls, load_function

MAX_ENTRIES = 2000
MAX_REPR_CHARS = 50_000_000     # all reprs of one trace together: bounds the cost of huge states
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")   # differs between processes: never a real difference


@dataclass
class Block:
    id: str
    first: int
    last: int
    label: str
    kind: str        # "body" for a run of simple statements, else the header's keyword
    names: list


def basic_blocks(source, first_line=1):
    """The basic blocks of one (dedented) def, in source order."""
    tree = ast.parse(source)
    fn = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    builder = _Builder(source.splitlines(), first_line - 1)
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]                                  # a docstring runs no code
    builder.body(body)
    return builder.blocks


class _Builder:
    def __init__(self, lines, offset):
        self.lines, self.offset = lines, offset
        self.blocks, self.run, self.prefix = [], [], ""

    def add(self, kind, label, first, last, nodes):
        self.blocks.append(Block("b%d" % len(self.blocks), first + self.offset, last + self.offset,
                                 label, kind, sorted(_names(nodes))))

    def flush(self):
        if self.run:
            first, last = self.run[0].lineno, self.run[-1].end_lineno
            span = "line %d" % (first + self.offset) if first == last else \
                "lines %d-%d" % (first + self.offset, last + self.offset)
            self.add("body", self.prefix + span, first, last, self.run)
            self.run = []
        self.prefix = ""

    def header(self, kind, label, node, nodes, extra=()):
        """A compound statement's own line(s): only its test/iter/target expressions."""
        self.flush()
        last = max([node.lineno] + [n.end_lineno for n in nodes])
        self.add(kind, _cut(label), node.lineno, last, nodes)
        self.blocks[-1].names = sorted(set(self.blocks[-1].names) | set(extra))

    def body(self, stmts, prefix=""):
        self.flush()
        self.prefix = prefix       # else/finally bodies have no header line of their own
        for stmt in stmts:
            self.stmt(stmt)
        self.flush()

    def stmt(self, s):
        src = ast.unparse
        if isinstance(s, ast.If):
            is_elif = self.lines[s.lineno - 1].lstrip().startswith("elif")
            self.header("if", ("elif " if is_elif else "if ") + src(s.test), s, [s.test])
            self.body(s.body)
            if len(s.orelse) == 1 and isinstance(s.orelse[0], ast.If) \
                    and self.lines[s.orelse[0].lineno - 1].lstrip().startswith("elif"):
                self.stmt(s.orelse[0])
            elif s.orelse:
                self.body(s.orelse, "else: ")
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            word = "async for " if isinstance(s, ast.AsyncFor) else "for "
            target = src(s.target).strip("()") if isinstance(s.target, ast.Tuple) else src(s.target)
            self.header("for", word + "%s in %s" % (target, src(s.iter)), s, [s.target, s.iter])
            self.body(s.body)
            self.body(s.orelse, "else: ")
        elif isinstance(s, ast.While):
            self.header("while", "while " + src(s.test), s, [s.test])
            self.body(s.body)
            self.body(s.orelse, "else: ")
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            word = "async with " if isinstance(s, ast.AsyncWith) else "with "
            self.header("with", word + ", ".join(src(i) for i in s.items), s,
                        [n for i in s.items for n in (i.context_expr, i.optional_vars) if n is not None])
            self.body(s.body)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            star = "*" if type(s).__name__ == "TryStar" else ""
            self.header("try", "try", s, [])
            self.body(s.body)
            for h in s.handlers:
                label = "except" + star + (" " + src(h.type) if h.type else "") + (" as " + h.name if h.name else "")
                self.header("except", label, h, [h.type] if h.type else [], [h.name] if h.name else [])
                self.body(h.body)
            self.body(s.orelse, "else: ")
            self.body(s.finalbody, "finally: ")
        elif type(s).__name__ == "Match":
            self.header("match", "match " + src(s.subject), s, [s.subject])
            for case in s.cases:
                guard = " if " + src(case.guard) if case.guard else ""
                parts = [case.pattern] + ([case.guard] if case.guard else [])
                self.header("case", "case " + src(case.pattern) + guard, case.pattern, parts)
                self.body(case.body)
        else:
            # Simple statements, nested defs and classes included (their bodies are not traced).
            self.run.append(s)
            if isinstance(s, (ast.Return, ast.Break, ast.Continue, ast.Raise)) or _yields(s):
                self.flush()


def _yields(stmt):
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _walk(stmt))


def _walk(node):
    """ast.walk that stops at nested scopes: only what runs in this frame."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo += n.decorator_list + getattr(n, "bases", []) + [k.value for k in getattr(n, "keywords", [])]
            if not isinstance(n, ast.ClassDef):
                todo += n.args.defaults + [d for d in n.args.kw_defaults if d is not None]
        elif isinstance(n, ast.Lambda):
            todo += n.args.defaults + [d for d in n.args.kw_defaults if d is not None] + [n.body]
        else:
            todo += list(ast.iter_child_nodes(n))


def _names(nodes):
    names = set()
    for node in nodes:
        for n in _walk(node):
            if isinstance(n, ast.Name):
                names.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.MatchAs, ast.MatchStar)) \
                    and n.name:
                names.add(n.name)
            elif isinstance(n, ast.MatchMapping) and n.rest:
                names.add(n.rest)
    return names


def _cut(text, limit=60):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten(value, limit=80):
    """(text, digest): the repr cut to its head and tail; digest is the crc32 of the
    whole repr when it was cut, else None."""
    return _cut_middle(_text(value), limit)


def _text(value):
    try:
        if isinstance(value, (set, frozenset)) and value:
            inner = "{" + ", ".join(sorted(map(repr, value))) + "}"   # hash order is not behaviour
            text = inner if type(value) is set else "%s(%s)" % (type(value).__name__, inner)
        elif type(value).__repr__ is object.__repr__ and isinstance(getattr(value, "__dict__", None), dict):
            attrs = ", ".join("%s=%r" % kv for kv in vars(value).items())   # show what the object holds
            text = "<%s %s>" % (type(value).__name__, attrs) if attrs else "<%s>" % type(value).__name__
        else:
            text = repr(value)
    except Exception as exc:
        text = "<repr failed: %s>" % type(exc).__name__
    return _ADDRESS.sub(" at 0x…", text)


def _cut_middle(text, limit):
    if len(text) <= limit:
        return text, None
    side = (limit - 4) // 2
    return text[:side] + " … " + text[-side:], "%08x" % zlib.crc32(text.encode("utf-8", "replace"))


class Recorder:
    """Traces one frame of `code` (the outermost, for recursive functions)."""

    def __init__(self, code, blocks, max_entries=MAX_ENTRIES, max_repr_chars=MAX_REPR_CHARS):
        self.code, self.max_entries, self.budget = code, max_entries, max_repr_chars
        self.line_block = {}
        for b in blocks:   # a one-line `if x: return` belongs to its header: events carry only lines
            for line in range(b.first, b.last + 1):
                self.line_block.setdefault(line, b.id)
        self.touched = {b.id: b.names for b in blocks}
        self.hits = {b.id: 0 for b in blocks}
        self.entries, self.types = [], {}
        self.frame = self.current = None
        self.steps, self.truncated = 0, False

    def __enter__(self):
        sys.settrace(self.on_call)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)

    def on_call(self, frame, event, arg):
        if self.frame is None and frame.f_code is self.code:
            self.frame = frame
            return self.on_event
        return None          # callees and nested functions run untraced

    def on_event(self, frame, event, arg):
        if frame is not self.frame:
            return None
        if event == "line":
            block = self.line_block.get(frame.f_lineno)
            if block is not None and block != self.current:
                if self.current is not None:
                    self.leave(frame)
                self.current = block
                self.hits[block] += 1
        elif event == "return":      # also fires when an exception leaves the frame
            if self.current is not None:
                self.leave(frame)
            self.current = None
        return self.on_event

    def leave(self, frame):
        self.steps += 1
        if len(self.entries) >= self.max_entries or self.budget <= 0:
            self.truncated = True    # keep counting hits, stop paying for states
            return
        f_locals = frame.f_locals
        state, digests = {}, {}
        for name in self.touched[self.current]:
            if name in f_locals:
                value = f_locals[name]
                text = _text(value)
                self.budget -= len(text)
                state[name], digest = _cut_middle(text, 80)
                if digest:
                    digests[name] = digest
                self.types.setdefault(name, set()).add(type(value).__name__)
        entry = {"step": len(self.entries), "block": self.current, "state": state}
        if digests:
            entry["digest"] = digests
        self.entries.append(entry)


def trace_function(fn, args, kwargs, source=None, first_line=None, max_entries=MAX_ENTRIES):
    """Run fn(*args, **kwargs) once under the recorder; the JSON-ready result."""
    inner = inspect.unwrap(fn)       # decorators made with functools.wraps: trace the real body
    if source is None:
        lines, first_line = inspect.getsourcelines(inner)
        source = textwrap.dedent("".join(lines))
    blocks = basic_blocks(source, first_line or 1)
    recorder = Recorder(inner.__code__, blocks, max_entries)
    try:
        with recorder:
            value = fn(*args, **kwargs)
        outcome, result = "return", shorten(value, 200)[0]
    except Exception as exc:
        outcome, result = "raise", _exc_text(exc)
    return {"function": inner.__qualname__, "blocks": [asdict(b) for b in blocks],
            "trace": recorder.entries, "hits": recorder.hits, "steps": recorder.steps,
            "types": {k: sorted(v) for k, v in recorder.types.items()},
            "outcome": outcome, "result": result, "truncated": recorder.truncated}


def _exc_text(exc):
    try:
        message = str(exc)
    except Exception:
        message = ""
    text = "%s: %s" % (type(exc).__name__, message) if message else type(exc).__name__
    return text if len(text) <= 200 else text[:98] + " … " + text[-98:]


def main(module, qualname, calls_path, index, out_path):
    fn = load_function(module, qualname)
    call = load_calls(calls_path)[int(index)]
    args, kwargs = pickle.loads(call["args"])
    data = trace_function(fn, args, kwargs)
    with open(out_path, "w") as fh:
        json.dump(data, fh)


if __name__ == "__main__":
    main(*sys.argv[1:6])
