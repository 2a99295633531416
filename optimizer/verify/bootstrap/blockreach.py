"""Which lines, basic blocks and branch directions of a function a set of calls reaches.
Standalone (no optimizer imports): runs inside the sandbox, beside replay.py.

  with Tracing(fn) as reach:        # records while the body runs
      fn(*args, **kwargs)
  shape = Shape.of(fn)              # the function's blocks and branches
  summary = shape.summary(reach)    # JSON-ready: reached blocks, directions, gaps

`Tracing` records, for the function's own code and every code object nested in it
(comprehensions, lambdas, inner defs), the lines executed and the arcs between
consecutive lines of one frame; a frame that returns ends its last arc at -1, one
that an exception leaves at -2. Line numbers are absolute in the file.

A branch is an if/elif/while/for header whose body starts on a later line: an arc
from the header into its body is the "taken" direction; an arc from the header to
anywhere else (the else part, the code after it, the loop's next round, a return)
is "not taken". A one-line `if x: return` cannot be told apart by lines and only
counts as a block. Short-circuit operators and conditional expressions inside a
line are not branches here (line events cannot see them).
"""
import ast
import inspect
import sys
import textwrap

from tracer import basic_blocks

RETURNED, RAISED = -1, -2
_QUIET_HEADERS = ("try",)    # a `try:` line runs no code of its own, so no line event shows it


def _codes(code):
    """The code object and everything nested in it."""
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        if c in out:
            continue
        out.add(c)
        todo += [k for k in c.co_consts if inspect.iscode(k)]
    return out


class Tracing:
    """Lines and arcs of `fn`'s code (and its nested code) executed while active."""

    def __init__(self, fn):
        self.codes = _codes(inspect.unwrap(fn).__code__)
        self.lines, self.arcs = set(), set()

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)

    def _on_call(self, frame, event, arg):
        if frame.f_code not in self.codes:
            return None                     # other code runs untraced (no per-line cost)
        lines, arcs = self.lines, self.arcs
        state = [None, False]               # last line of this frame, an exception pending

        def local(frame, event, arg):
            if event == "line":
                line = frame.f_lineno
                lines.add(line)
                if state[0] is not None:
                    arcs.add((state[0], line))
                state[0], state[1] = line, False
            elif event == "exception":
                state[1] = True
            elif event == "return":
                if state[0] is not None:
                    arcs.add((state[0], RAISED if state[1] else RETURNED))
                state[0] = None             # a generator resumes with a new call event
            return local
        return local

    def update(self, other):
        self.lines |= other.lines
        self.arcs |= other.arcs


class Shape:
    """The basic blocks (tracer.basic_blocks, absolute lines) and the branches of a function."""

    def __init__(self, blocks, branches):
        self.blocks = blocks
        self.branches = branches            # [(block id, header lines, (body first, body last))]

    @classmethod
    def of(cls, fn):
        inner = inspect.unwrap(fn)
        lines, first = inspect.getsourcelines(inner)
        return cls.from_source(textwrap.dedent("".join(lines)), first)

    @classmethod
    def from_source(cls, source, first_line=1):
        blocks = basic_blocks(source, first_line)
        offset = first_line - 1
        by_line = {}
        for b in blocks:
            by_line.setdefault(b.first, b.id)
        branches = []
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.If, ast.While, ast.For, ast.AsyncFor)) or not node.body:
                continue
            head = node.test if isinstance(node, (ast.If, ast.While)) else node.iter
            header = set(range(node.lineno + offset, head.end_lineno + offset + 1))
            body = (node.body[0].lineno + offset, node.body[-1].end_lineno + offset)
            block = by_line.get(node.lineno + offset)
            if block is not None and body[0] > max(header):
                branches.append((block, header, body))
        return cls(blocks, branches)

    def reached_blocks(self, reach):
        return {b.id for b in self.blocks
                if any(line in reach.lines for line in range(b.first, b.last + 1))}

    def directions(self, reach):
        """block id -> the directions of its branch that some arc took."""
        out = {}
        for block, header, (first, last) in self.branches:
            seen = out.setdefault(block, set())
            for a, b in reach.arcs:
                if a in header and b not in header and b != RAISED:
                    seen.add("taken" if first <= b <= last else "not taken")
        return out

    def summary(self, reach):
        """JSON-ready: every block, which were reached, which branch directions were
        taken, and the gaps in plain words."""
        reached = self.reached_blocks(reach)
        directions = self.directions(reach)
        by_id = {b.id: b for b in self.blocks}
        quiet = {b.id for b in self.blocks if b.kind in _QUIET_HEADERS}
        gaps = []
        for b in self.blocks:
            if b.id not in reached and b.id not in quiet:
                gaps.append("%s never ran" % _where(b))
        for block, taken in sorted(directions.items(), key=lambda kv: by_id[kv[0]].first):
            b = by_id[block]
            if block not in reached:
                continue
            for direction in ("taken", "not taken"):
                if direction not in taken:
                    gaps.append("%s was never %s" % (_where(b), _word(b.kind, direction)))
        countable = [b for b in self.blocks if b.id not in quiet]
        return {
            "blocks": [{"id": b.id, "first": b.first, "last": b.last, "label": b.label, "kind": b.kind}
                       for b in self.blocks],
            "reached": sorted((b.id for b in countable if b.id in reached), key=lambda i: int(i[1:])),
            "countable": len(countable),
            "directions": {k: sorted(v) for k, v in directions.items()},
            "branches": len(self.branches),
            "gaps": gaps,
        }


def _where(block):
    span = "line %d" % block.first if block.first == block.last else "lines %d-%d" % (block.first, block.last)
    return span if block.kind == "body" and block.label.endswith(span) else "%s (%s)" % (block.label, span)


def _word(kind, direction):
    if kind in ("for", "while"):
        return "entered" if direction == "taken" else "left"
    return "true" if direction == "taken" else "false"
