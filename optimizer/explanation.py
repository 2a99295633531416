"""Why a candidate is faster and when it is unsafe, in the proposer's own words: the
first sentence of the model's answer or of the catalog pattern's description, and the
caveats it states or that verification saw. The review's comments, report.json and
report.html all say the same thing."""
from __future__ import annotations

import re

from .model import Outcome
from .scrub import clean


def explanation(outcome: Outcome) -> str:
    """One line on why it is faster: the proposer's own words (the first sentence of the
    model's answer or of the catalog pattern's description), cleaned and capped."""
    first = _sentences(outcome)[:1]
    return _capped(first[0]) if first else f"Proposed by {outcome.candidate.origin}."


def caveats(outcome: Outcome) -> list[str]:
    """What a reviewer must know before accepting it: the inputs the proposer says it is
    unsafe for, and the kinds of calls the verification saw it refuse where the current
    version accepts them (evidence "narrowed"), and the generated calls where the current
    version runs out of stack or memory and it does otherwise (evidence "out_of_contract")."""
    warning = re.compile(r"\b(unsafe|assum\w*|only when|only if)\b", re.IGNORECASE)
    clauses = [c.strip() for s in _sentences(outcome)[1:] for c in re.split(r",\s+and\s+|;\s+", s)]
    said = [_capped(c[:1].upper() + c[1:].rstrip(".") + ".") for c in clauses if warning.search(c)]
    narrowed = (outcome.evidence or {}).get("narrowed")
    if narrowed:
        said.append(_capped(f"It raises on {narrowed.get('calls')} generated call(s) of kinds the captured calls "
                            f"never pass, which the current version accepts (e.g. {narrowed.get('example', '')})"))
    out = (outcome.evidence or {}).get("out_of_contract")
    if out:
        said.append(_capped(f"On {out.get('calls')} generated call(s) where the current version runs out of stack or "
                            f"memory it behaves otherwise (e.g. {out.get('example', '')}); not judged"))
    return said


def _sentences(outcome: Outcome) -> list[str]:
    note = clean(outcome.candidate.note or "", 1200).strip()
    first_para = " ".join(ln.strip() for ln in note.split("\n\n")[0].splitlines())
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`])", first_para) if s.strip()]


def _capped(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."
