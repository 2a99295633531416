"""A corpus of real bugs (issue #12, part 4), as data and the few steps every user of it
needs: build a library's repository, capture and record its targets once, judge a candidate.

Each folder here is one real PyPI library, vendored with its licence: the module, the
library's own tests (a subset), and bench.py, a workload. manifest.toml lists the
candidates, each a file under <library>/candidates/ holding just the new definition.
Used by tests/test_corpus_real.py and benchmarks/corpus_real.py.
"""
from __future__ import annotations

import shutil
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.model import Target, Verdict
from optimizer.target import index_repo, replace_definition, resolve
from optimizer.verify import Baseline, TestRun, capture, verify
from optimizer.verify.equivalence import record_expected
from optimizer.workspace import Workspace
from repos import run_git

HERE = Path(__file__).resolve().parent
MANIFEST = tomllib.loads((HERE / "manifest.toml").read_text())
LIBRARIES: dict[str, dict] = MANIFEST["library"]
# The vendored tests do not use hypothesis: not loading its pytest plugin saves ~0.6 s per run.
PYTEST_INI = "[pytest]\naddopts = -p no:hypothesispytest -p no:cacheprovider\n"


@dataclass(frozen=True)
class Case:
    library: str
    name: str                    # the candidate file's stem
    target: str                  # as --target takes it
    kind: str                    # "wrong" | "correct"
    source: str                  # the new definition
    about: str                   # the bug (wrong) or what makes it faster (correct)
    imports: tuple[str, ...] = ()
    reveals: str = ""            # inputs that tell a wrong one apart
    caught_by: tuple[str, ...] = ()   # the techniques that catch it alone (benchmarks/corpus_real.py)
    today: str = ""              # the full check's verdict when last benchmarked: "call" (rejected
                                 # naming a differing call), "evidence" (rejected as unreached), "kept"

    @property
    def id(self) -> str:
        return f"{self.library}-{self.name}"


def cases() -> list[Case]:
    out = []
    for c in MANIFEST["candidate"]:
        path = HERE / c["library"] / "candidates" / c["file"]
        out.append(Case(c["library"], path.stem, c["target"], c["kind"], path.read_text(),
                        c.get("bug") or c.get("why", ""), tuple(c.get("imports", ())),
                        c.get("reveals", ""), tuple(c.get("caught_by", ())), c.get("today", "")))
    return out


def build_repo(library: str, root: Path) -> Path:
    """A real git repository of the vendored library (without the candidates)."""
    shutil.copytree(HERE / library, root, ignore=shutil.ignore_patterns("candidates", "__pycache__"))
    (root / "pytest.ini").write_text(PYTEST_INI)
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", f"vendored {library} {LIBRARIES[library]['version']}")
    return root


@dataclass
class Prepared:
    """One library's repository, captured (tests + bench) and recorded once per target."""
    ws: Workspace
    sandbox: object
    targets: dict[str, Target]           # --target spec -> Target
    baselines: dict[str, Baseline]       # Target.name -> Baseline
    suite: TestRun
    notes: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)   # capture, record per target


def prepare(library: str, root: Path, sandbox, specs: list[str] | None = None) -> Prepared:
    import time
    repo = build_repo(library, root)
    specs = specs or sorted({c.target for c in cases() if c.library == library})
    index = index_repo(repo)
    targets = {spec: resolve(index, spec) for spec in specs}
    ws = Workspace(repo)
    start = time.perf_counter()
    baselines, suite = capture(sandbox, ws.base, ws.scratch("run"), list(targets.values()),
                               bench=LIBRARIES[library]["bench"])
    prepared = Prepared(ws, sandbox, targets, baselines, suite,
                        seconds={"capture": time.perf_counter() - start})
    for t in targets.values():
        start = time.perf_counter()
        prepared.notes[t.name] = record_expected(sandbox, ws.base, ws.scratch("run"), baselines[t.name], 120)
        prepared.seconds["record " + t.name] = time.perf_counter() - start
    return prepared


def candidate_text(prepared: Prepared, case: Case) -> str:
    t = prepared.targets[case.target]
    source = textwrap.dedent(case.source).strip("\n")
    return replace_definition(prepared.ws.original_text(t), t, source, imports=case.imports)


def judge(prepared: Prepared, case: Case, baseline: Baseline | None = None,
          search_seconds: float = 0.0) -> Verdict:
    """verify() on a fresh copy with the candidate in place, as the optimizer does.
    search_seconds > 0 adds the per-candidate search (CrossHair, literals) as the CLI's
    --search-seconds does; the tests leave it out: CrossHair's time budget makes what it
    finds depend on the machine's load (the benchmark reports it)."""
    from optimizer.verify import SearchBudget
    t = prepared.targets[case.target]
    new_text = candidate_text(prepared, case)
    workspace = prepared.ws.candidate_copy(t, new_text)
    search = SearchBudget(search_seconds * 3) if search_seconds > 0 else None   # all of it for this one
    try:
        return verify(prepared.sandbox, workspace, new_text, baseline or prepared.baselines[t.name],
                      prepared.suite, search=search)
    finally:
        prepared.ws.discard(workspace)


# ---- one input technique alone (benchmarks/corpus_real.py) ----

def origins(baseline: Baseline) -> dict[str, list[int]]:
    """The recorded calls' indices grouped by their "origin" (captured, generated, and any
    kind the engine adds), stable calls only. The files were written by the original."""
    import pickle
    if not (baseline.calls_file and baseline.expected_file):
        return {}
    calls = pickle.loads(baseline.calls_file.read_bytes())
    expected = pickle.loads(baseline.expected_file.read_bytes())
    out: dict[str, list[int]] = {}
    for i in sorted(expected):
        out.setdefault(str(calls[i].get("origin", "unknown")), []).append(i)
    return out


def restricted(prepared: Prepared, baseline: Baseline, origin: str) -> Baseline:
    """A copy of baseline whose oracle holds only the calls of one origin."""
    import dataclasses
    import pickle
    keep = set(origins(baseline).get(origin, ()))
    expected = pickle.loads(baseline.expected_file.read_bytes())
    path = prepared.ws.scratch("alone") / f"expected-{baseline.target.name}-{origin}.pkl"
    path.write_bytes(pickle.dumps({i: v for i, v in expected.items() if i in keep}, protocol=4))
    return dataclasses.replace(baseline, expected_file=path,
                               stable=[i for i in baseline.stable if i in keep],
                               workload=[i for i in baseline.workload if i in keep])


def judge_alone(prepared: Prepared, case: Case, technique: str) -> Verdict:
    """"tests": the library's tests alone (no replayed calls); any other name: the
    replay of the calls of that origin alone, without the tests."""
    import dataclasses
    from optimizer.verify import equivalence
    baseline = prepared.baselines[prepared.targets[case.target].name]
    if technique == "tests":
        return judge(prepared, case, dataclasses.replace(baseline, expected_file=None))
    only = restricted(prepared, baseline, technique)
    if not only.stable:
        return Verdict(True, "equivalence", f"no {technique} calls")
    t = prepared.targets[case.target]
    workspace = prepared.ws.candidate_copy(t, candidate_text(prepared, case))
    try:
        return equivalence.check(prepared.sandbox, workspace, only)
    finally:
        prepared.ws.discard(workspace)


def search_alone(prepared: Prepared, case: Case, budget_s: float) -> dict[str, dict]:
    """The engine's per-candidate search for diverging inputs (optimizer/verify/search.py:
    CrossHair, the candidate's new literals, a model's suggestions), then each origin it
    found calls of, alone: origin -> {"caught", "reason", "seconds", "calls"}. {} when the
    engine has no such search."""
    import time
    try:
        from optimizer.verify import equivalence, search
    except ImportError:
        return {}
    t = prepared.targets[case.target]
    baseline = prepared.baselines[t.name]
    original = prepared.ws.original_text(t).encode()[t.start_byte:t.end_byte].decode()
    new_text = candidate_text(prepared, case)
    workspace = prepared.ws.candidate_copy(t, new_text)
    out: dict[str, dict] = {}
    try:
        start = time.perf_counter()
        found = search.diverging_calls(prepared.sandbox, prepared.ws.base, workspace, baseline, original,
                                       textwrap.dedent(case.source), budget_s)
        out["search"] = {"caught": not found.verdict.ok, "reason": found.verdict.reason,
                         "seconds": time.perf_counter() - start, "calls": sum(found.checked.values()),
                         "notes": list(found.notes)}
        if found.baseline is not None and found.baseline.expected_file:
            for origin, ix in origins(found.baseline).items():
                start = time.perf_counter()
                v = equivalence.check(prepared.sandbox, workspace, restricted(prepared, found.baseline, origin))
                out[origin] = {"caught": not v.ok, "reason": v.reason, "calls": len(ix),
                               "seconds": found.seconds.get(origin, 0.0) + time.perf_counter() - start}
    finally:
        prepared.ws.discard(workspace)
    return out
