"""What the model is shown about a target: gathered once per target (profile,
patterns, examples, environment), then adjusted per request (repair, refine)."""
from __future__ import annotations

import textwrap
from dataclasses import replace
from importlib import metadata

from sandboxes import Sandbox

from ..measure.lineprofile import LineProfile, annotate, first_line_of, line_profile
from ..model import Target
from ..rounds import Request, refine_feedback, repair_feedback
from ..target import targets_in_file
from ..verify import Baseline
from ..verify.trace import block_profile
from ..workspace import Workspace
from .base import ProposalContext
from .budget import Budget
from .examples import render_examples, retrieve
from .patterns import CATALOG, applicable

# Third-party packages worth naming to the model when installed: the ones a faster
# version of plain Python code might reasonably reach for.
_NOTABLE = ("numpy", "scipy", "pandas", "numba", "sortedcontainers", "more-itertools", "regex",
            "orjson", "ujson", "bitarray", "pyroaring", "cytoolz", "toolz", "polars")
EXAMPLES_SHOWN = 3


def libraries() -> list[str]:
    found = []
    for name in _NOTABLE:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return found


def build_context(sandbox: Sandbox, ws: Workspace, target: Target, baseline: Baseline, module_source: str,
                  share: float | None, budget: Budget, for_model: bool,
                  lines: LineProfile | None = None) -> ProposalContext:
    """The round-1 request. The line profile (`lines`, the original's, taken by the
    caller), examples and patterns only matter to a model: without one
    (for_model=False) they are not gathered."""
    index = {t.qualname: t for t in targets_in_file(ws.base, target.file)}
    context = ProposalContext(module_source, {q: index[q].source for q in target.callees if q in index}, share,
                              block_profile=block_profile(sandbox, ws.base, baseline) if for_model else "")
    if not for_model:
        return context
    source = textwrap.dedent(target.source)
    matching = set(applicable(source))
    return replace(
        context,
        annotated_source=annotate(source, first_line_of(target), lines) if lines else "",
        libraries=libraries(),
        patterns=[{"id": p.id, "description": p.description} for p in CATALOG
                  if p.id in matching and p.pays_on(context.python_version)],
        examples=render_examples(retrieve(source, k=EXAMPLES_SHOWN)),
        budget=budget.describe(),
    )


def request_context(context: ProposalContext, request: Request, sandbox: Sandbox, ws: Workspace,
                    target: Target, baseline: Baseline, budget: Budget, new_text: str = "") -> ProposalContext:
    """A later round's request: repair a near-miss, or refine the best kept version
    (`new_text`: its whole file, profiled line by line in a copy of the workspace).
    Round 1's request is the context as built."""
    if request.mode == "optimize":
        return context
    candidate = request.outcome.candidate
    common = dict(step=request.step, previous=candidate.source, previous_imports=candidate.imports,
                  budget=budget.describe(), block_profile="")
    if request.mode == "repair":
        return replace(context, mode="repair", feedback=repair_feedback(request.outcome), **common)
    copy = ws.candidate_copy(target, new_text)
    try:
        profile = line_profile(sandbox, copy, baseline)
    finally:
        ws.discard(copy)
    # The kept definition may sit lower in its file than the original (added imports):
    # the profile knows where its first line is.
    annotated = annotate(candidate.source, profile.first_line, profile) if profile else ""
    return replace(context, mode="refine", feedback=refine_feedback(request.outcome),
                   annotated_source=annotated, **common)
