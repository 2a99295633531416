"""The plain data the pipeline stages pass to each other.

locate -> Target, profile -> Hotspot, capture -> CapturedCalls (a file),
propose -> Candidate, verify -> Verdict, measure -> Measurement, keep -> Kept,
and the Report that gathers them. No behaviour lives here beyond small
conveniences; stages are functions over these records.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .scrub import TRACE_LIMIT, clean


@dataclass(frozen=True)
class Target:
    """One function or method in the user's repository."""

    file: str                 # path relative to the repo root, '/'-separated
    module: str               # importable dotted module name, e.g. "pkg.mod"
    qualname: str             # "func" or "Class.method"
    start_line: int           # 1-based, first line of the def (decorators included)
    end_line: int             # 1-based, inclusive
    start_byte: int
    end_byte: int
    source: str               # the exact text of the definition, decorators included
    indent: str               # leading whitespace of the def line
    class_name: str | None = None
    imports: tuple[str, ...] = ()   # the module's top-level import statements
    callees: tuple[str, ...] = ()   # qualnames of functions in the same module it calls
    import_root: str = ""     # directory (relative to repo) to put on sys.path; "" is the root

    @property
    def name(self) -> str:
        """The dotted name reports use: pkg.mod.Class.method."""
        return f"{self.module}.{self.qualname}"

    @property
    def package(self) -> str:
        """The top-level package of its module: the user's own code, to the capability check."""
        return self.module.split(".")[0]

    @property
    def func_name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass
class Hotspot:
    name: str
    file: str
    line: int
    share: float              # fraction of profile samples credited to it
    target: Target | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "file": self.file, "line": self.line, "share": round(self.share, 4)}


@dataclass
class Candidate:
    """A proposed replacement for a target's definition."""

    target: Target
    origin: str               # "pattern:<id>" or the model string
    source: str               # the new definition, dedented (column 0)
    imports: tuple[str, ...] = ()   # import statements the new code needs at module level
    note: str = ""            # what the proposer says it did
    error: str = ""           # a proposer-side failure (unparsable answer); rejected without running
    step: str = "r1/optimize" # the round and kind of request that produced it (rounds.py)

    @property
    def key(self) -> str:
        """Identity for deduplication: candidates with the same normalised AST are one."""
        import ast

        try:
            body = ast.dump(ast.parse(self.source))
        except SyntaxError:
            body = self.source
        return body + "|" + "|".join(sorted(self.imports))


@dataclass
class Verdict:
    ok: bool
    stage: str                # "parse", "import", "tests", "equivalence"
    reason: str = ""          # plain words, for the report
    calls_checked: int = 0
    failing_call: int | None = None   # index of the first differing call, for traces
    evidence: dict = field(default_factory=dict)   # what it was verified on (verify/evidence.py)
    oracle: object = None     # the Baseline whose calls failing_call indexes, when not the target's own
                              # (a search's found calls, verify/search.py)


@dataclass
class Measurement:
    speedup: float            # baseline time / candidate time
    ci: tuple[float, float]   # 95% interval of the speedup
    baseline_s: float         # median seconds per workload pass, original
    candidate_s: float        # median seconds per workload pass, candidate
    samples: int              # samples per side
    workload: str = "captured calls"
    peak_bytes: tuple[int, int] | None = None        # (original, candidate) peak memory of one pass
    bench: "Measurement | None" = None               # the end-to-end --bench confirmation, if run
    metric: str = "wall time"   # what speedup and ci are of: "cpu time" (the timing thread's) or "wall time"
    wall: tuple[float, float, float] | None = None   # the wall-time speedup and interval, beside a CPU-time one
    disturbed: float = 0.0      # share of the samples taken that waited for a CPU (runner: machine load)
    waited: float = 0.0         # median share of a sample's time spent waiting for a CPU
    instructions: float | None = None   # the second opinion: the instruction-count ratio, where measured
    bands: dict | None = None   # the winner's speedup per size band: {"smallest": {speedup, ci, items}, ...}

    def to_json(self) -> dict:
        out = {"speedup": round(self.speedup, 4), "ci": [round(self.ci[0], 4), round(self.ci[1], 4)],
               "samples": self.samples, "workload": self.workload, "metric": self.metric,
               "load": {"disturbed_share": round(self.disturbed, 3), "waited_share": round(self.waited, 3)}}
        if self.wall:
            out["wall"] = {"speedup": round(self.wall[0], 4), "ci": [round(self.wall[1], 4), round(self.wall[2], 4)]}
        if self.instructions is not None:
            out["instructions_ratio"] = round(self.instructions, 4)
        if self.peak_bytes:
            out["peak_memory_bytes"] = {"original": self.peak_bytes[0], "candidate": self.peak_bytes[1]}
        if self.bench:
            out["bench"] = self.bench.to_json()
        if self.bands:
            out["size_bands"] = self.bands
        return out


@dataclass(frozen=True)
class Outcome:
    """A candidate's judgement, and, once its target's winner is chosen, its fate: one row
    of the report. A judge returns "passed" (verified and significantly better),
    "rejected" or "undecided" (the machine was too busy to tell: never kept); choosing
    the winner (choose.py) turns "passed" into "kept" for one and "rejected" with the
    reason for the others, as new values."""

    candidate: Candidate
    status: str               # "passed" | "kept" | "rejected" | "undecided"
    reason: str
    measurement: Measurement | None = None
    trace: str = ""           # for a behaviour difference: original vs candidate, block by block
    stage: str = ""           # the check that rejected it ("parse", "capability", "tests", "equivalence", ...)
    evidence: dict = field(default_factory=dict)   # what it was verified on (Verdict.evidence)

    def __post_init__(self):
        # The reason and the trace may quote what the candidate's code printed or raised:
        # cleaned once here, before any prompt, report or terminal sees them (scrub.py).
        # So is every text in the evidence (origin names come from the candidate's process).
        object.__setattr__(self, "reason", clean(self.reason))
        object.__setattr__(self, "trace", clean(self.trace, TRACE_LIMIT))
        object.__setattr__(self, "evidence", _cleaned(self.evidence))

    def to_json(self) -> dict:
        m = self.measurement
        return {
            "target": self.candidate.target.name,
            "origin": self.candidate.origin,
            "step": self.candidate.step,
            "status": self.status,
            "reason": self.reason,
            "speedup": round(m.speedup, 4) if m else None,
            "ci": [round(m.ci[0], 4), round(m.ci[1], 4)] if m else None,
            **({"measurement": m.to_json()} if m else {}),
            **({"trace": self.trace} if self.trace else {}),
            # what was judged, kept or not: the code as proposed (a model's too)
            "source": self.candidate.source,
            "imports": list(self.candidate.imports),
            "diff": self.diff(),
            **({"evidence": self.evidence} if self.evidence else {}),
            **self._words(),
        }

    def _words(self) -> dict:
        """Why it is faster and its caveats, for a candidate that passed (explanation.py)."""
        if self.status not in ("kept", "passed"):
            return {}
        from .explanation import caveats, explanation

        return {"explanation": explanation(self), "caveats": caveats(self)}

    def diff(self) -> str:
        """The candidate's definition against the original's, as a unified diff."""
        import difflib
        import textwrap

        target = self.candidate.target
        if target is None or not self.candidate.source:
            return ""
        return "".join(difflib.unified_diff(
            (textwrap.dedent(target.source).rstrip("\n") + "\n").splitlines(keepends=True),
            (self.candidate.source.rstrip("\n") + "\n").splitlines(keepends=True),
            f"a/{target.file} ({target.qualname})", f"b/{target.file} ({target.qualname})"))


def _cleaned(value):
    """`value` with every string in it (keys too) cleaned (scrub.clean)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(v) for v in value]
    return value


@dataclass(frozen=True)
class TargetResult:
    """What optimizing one target gave: every candidate's fate in the order judged,
    the winner (also among the outcomes, status "kept") and its new file text, the
    A/A calibration, and the notes. `skipped` says why nothing was tried, if so."""

    target: Target
    outcomes: tuple[Outcome, ...] = ()
    winner: Outcome | None = None
    new_text: str = ""                  # the winner's whole file
    original_text: str = ""             # the file it replaces
    calibration: Measurement | None = None
    notes: tuple[str, ...] = ()
    skipped: str = ""
    rounds: int = 0
    interrupted: bool = False
    line_shares: dict[int, float] = field(default_factory=dict)   # the original's line -> share of its time
    capture: dict = field(default_factory=dict)   # what capture saw and kept (Baseline.summary)
    lost: bool = False                  # its executor's worker died: nothing judged (skipped says why)

    def to_json(self, share: float | None = None) -> dict:
        """What the report says about the target itself (its candidates are listed apart)."""
        t = self.target
        return {"file": t.file, "qualname": t.qualname, "start_line": t.start_line, "end_line": t.end_line,
                "source": t.source, "share": round(share, 4) if share is not None else None,
                "status": "lost" if self.lost else "skipped" if self.skipped else "kept" if self.winner else "nothing kept",
                "skipped": self.skipped, "rounds": self.rounds, "interrupted": self.interrupted,
                "line_shares": {str(line): round(v, 4) for line, v in sorted(self.line_shares.items())},
                **({"capture": self.capture} if self.capture else {})}


@dataclass
class Kept:
    target: Target
    candidate: Candidate
    measurement: Measurement
    diff: str
    branch: str | None
    patch_file: str
    applied: bool = False
    notes: tuple[str, ...] = ()   # why no branch, a reused branch, why not applied

    def to_json(self) -> dict:
        m = self.measurement
        return {
            "target": self.target.name,
            "origin": self.candidate.origin,
            "speedup": round(m.speedup, 4),
            "ci": [round(m.ci[0], 4), round(m.ci[1], 4)],
            "measurement": m.to_json(),
            "diff": self.diff,
            "branch": self.branch,
            "patch_file": self.patch_file,
            "applied": self.applied,
        }


@dataclass
class LLMUsage:
    """What was really sent to the provider; `cached` counts answers served from the
    response cache or a transcript instead (no tokens, no cost)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: int = 0

    def add(self, other: "LLMUsage") -> None:
        self.cached += other.cached
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd


@dataclass
class Report:
    repo: str
    model: str | None
    hotspots: list[Hotspot] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    llm: LLMUsage = field(default_factory=LLMUsage)
    notes: list[str] = field(default_factory=list)    # plain-language remarks (refused targets, ...)
    calibration: dict[str, Measurement] = field(default_factory=dict)   # A/A noise, per target
    status: str = "running"   # "completed" | "interrupted" | "failed"
    sandbox: str = ""
    meta: dict = field(default_factory=dict)   # tool version, git revision, Python, settings, start, duration
    targets: dict[str, dict] = field(default_factory=dict)    # name -> TargetResult.to_json()
    profiles: dict[str, dict] = field(default_factory=dict)   # "before"/"after" the kept edits: profilers.flame

    def add(self, result: TargetResult) -> None:
        """Gather one target's result (the run's front end calls this once per target)."""
        share = next((h.share for h in self.hotspots if h.name == result.target.name), None)
        self.targets[result.target.name] = result.to_json(share)
        self.outcomes.extend(result.outcomes)
        self.notes.extend(result.notes)
        if result.calibration is not None:
            self.calibration[result.target.name] = result.calibration

    def to_json(self) -> dict:
        return {
            "repo": self.repo,
            "model": self.model,
            **({"meta": self.meta} if self.meta else {}),
            "status": self.status,
            "sandbox": self.sandbox,
            "hotspots": [h.to_json() for h in self.hotspots],
            "profiles": self.profiles,
            "targets": self.targets,
            "candidates": [o.to_json() for o in self.outcomes],
            "kept": [k.to_json() for k in self.kept],
            "calibration": {name: m.to_json() for name, m in self.calibration.items()},
            "llm": {**asdict(self.llm), "cost_usd": round(self.llm.cost_usd, 6)},
            "notes": [clean(note) for note in self.notes],
        }

