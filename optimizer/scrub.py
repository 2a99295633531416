"""What a candidate's runs say before it reaches a prompt, a report or the terminal.

A failure message, a behaviour trace or a last line of output is text that
model-written code can shape: it may carry data the candidate read (a key, a
file), terminal escape sequences, or rich markup. Everything of that kind goes
through `clean` once, where the record holding it is made (`model.Outcome`),
and the report's notes again on their way out:

- **credentials redacted**: the values of the caller's environment variables
  whose names look secret (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, ...),
  wherever they appear, and text shaped like a credential (provider API keys,
  GitHub, Slack, AWS and Google tokens, JWTs, bearer tokens, private key
  blocks) becomes `[redacted]`;
- **control characters removed**: ANSI escape sequences and every control
  character but newline and tab;
- **capped**: at most `limit` characters, keeping the head and the tail (where
  errors are), with the number of characters left out in between.

Rich markup is not removed here (JSON readers want the text as it is): the
terminal view escapes it (`report.View`).
"""
from __future__ import annotations

import os
import re

REDACTED = "[redacted]"
REASON_LIMIT = 1500      # characters of a reason or a note
TRACE_LIMIT = 6000       # characters of a block-by-block trace

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH(?!OR)|COOKIE|PRIVATE|DSN",
                          re.IGNORECASE)
_MIN_SECRET_LEN = 6      # shorter values ("1", "true") would redact ordinary words

# Shapes of credentials, whatever variable (or file) they came from.
_SHAPES = re.compile("|".join([
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}",           # OpenAI, Anthropic and look-alikes
    r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}",         # GitHub tokens
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",                   # Slack
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",                      # AWS access key ids
    r"\bAIza[0-9A-Za-z_\-]{35}",                           # Google API keys
    r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+",   # JWTs
    r"(?i:\bbearer\s+)[A-Za-z0-9_\-\.=]{16,}",
]), re.DOTALL)

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def secret_values(environ=None) -> list[str]:
    """Values of the caller's environment that look secret, longest first (so a
    value containing another is redacted whole)."""
    environ = os.environ if environ is None else environ
    values = {v for k, v in environ.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ=None) -> str:
    for value in secret_values(environ):
        text = text.replace(value, REDACTED)
    return _SHAPES.sub(REDACTED, text)


def strip_control(text: str) -> str:
    """No escape sequences and no control characters but newline and tab."""
    return _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]} … [{len(text) - limit} characters left out] … {text[-tail:]}"


def clean(text: str, limit: int = REASON_LIMIT, environ=None) -> str:
    """Redacted, without control characters, at most about `limit` characters.
    Redaction comes before the cap, so a cut cannot split a secret in two halves
    that no longer match."""
    if not text:
        return text
    return cap(strip_control(redact(str(text), environ)), limit)
