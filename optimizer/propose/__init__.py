"""Proposers turn a target into candidates: the model (llm.py) and the offline catalog (patterns/)."""
from .base import ProposalContext, Proposer

__all__ = ["ProposalContext", "Proposer"]
