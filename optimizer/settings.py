"""One settings layer: defaults < `[tool.optimize]` in the repository's pyproject.toml
< `OPTIMIZE_<NAME>` in the environment < flags.

Every setting that has a flag can come from any layer, except the per-invocation
actions (`--apply`, `--json`, `--out`, `--record`, `--replay`): a file or an
environment variable must never edit a working tree or redirect a report
unasked. An unknown key in `[tool.optimize]` or a bad value anywhere raises
`BadSetting` naming the key and where it came from. An `OPTIMIZE_*` variable
that is a near miss of a setting's name is refused as a typo; other `OPTIMIZE_*`
names are left alone (OPTIMIZE_HOME, the workers' own).
"""
from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import BadSetting
from .measure.runner import MeasureSettings
from .verify.equivalence import Strictness


@dataclass(frozen=True)
class Spec:
    """One layered setting: its type, default and the values it accepts."""

    kind: type                 # int, float, str or bool
    default: Any
    low: float | None = None   # smallest accepted number
    high: float | None = None  # numbers must stay below this
    choices: tuple[str, ...] = ()
    positive: bool = False     # numbers must be above 0
    flag: str = ""             # the flag's name when it is not --<name with dashes>

    def check(self, value: Any, where: str) -> Any:
        value = self._cast(value, where)
        if value is None:
            return None
        if self.choices and value not in self.choices:
            raise BadSetting(f"{where} must be one of {', '.join(self.choices)}, got {value!r}")
        if self.kind in (int, float):
            if self.positive and not value > 0:
                raise BadSetting(f"{where} must be positive, got {value}")
            if math.isnan(value) or (self.low is not None and value < self.low):
                raise BadSetting(f"{where} must be at least {_num(self.low)}, got {value}")
            if self.high is not None and value >= self.high:
                raise BadSetting(f"{where} must be below {_num(self.high)}, got {value}")
        return value

    def _cast(self, value: Any, where: str) -> Any:
        if value is None:
            return None
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
                return value.lower() in _TRUE
            raise BadSetting(f"{where} must be true or false, got {value!r}")
        if self.kind in (int, float) and isinstance(value, bool):
            raise BadSetting(f"{where} must be a {self.kind.__name__}, got {value!r}")
        if self.kind is str and not isinstance(value, str):
            raise BadSetting(f"{where} must be a string, got {value!r}")
        try:
            return self.kind(value)
        except (TypeError, ValueError):
            raise BadSetting(f"{where} must be a{'n' if self.kind is int else ''} {self.kind.__name__}, "
                             f"got {value!r}") from None


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

SPECS: dict[str, Spec] = {
    "target": Spec(str, None),
    "bench": Spec(str, None),
    "max_targets": Spec(int, None, low=1),   # None: 3, or every target with --all
    "all": Spec(bool, False),
    "max_minutes": Spec(float, None, positive=True),
    "executor": Spec(str, "local", choices=("local", "ray")),
    "ray_address": Spec(str, None),
    "model": Spec(str, None),
    "api_base": Spec(str, None),
    "candidates": Spec(int, 4, low=1),
    "model_rounds": Spec(int, 3, low=1),
    "max_calls": Spec(int, None, low=0),
    "max_cost": Spec(float, None, low=0),
    "model_timeout": Spec(float, 120.0, low=1),
    "cache": Spec(bool, True, flag="--no-cache"),
    "min_speedup": Spec(float, 1.05, positive=True),
    "sandbox": Spec(str, "auto", choices=("auto", "bwrap", "process")),
    "python": Spec(str, None),
    "max_captured": Spec(int, 64, low=1),
    "max_call_mb": Spec(float, 64.0, positive=True),
    "max_capture_mb": Spec(float, 1000.0, positive=True),
    "rounds": Spec(int, 6, low=2),
    "rtol": Spec(float, 0.0, low=0, high=1),
    "loose_errors": Spec(bool, False),
    "accept_unreached": Spec(bool, False),
    "search_seconds": Spec(float, 20.0, low=0),
    "second_opinion": Spec(bool, True, flag="--no-second-opinion"),
    "metric": Spec(str, "time", choices=("time", "instructions")),
    "objective": Spec(str, "time", choices=("time", "memory")),
    # optimize review's own
    "max_suggestions": Spec(int, 3, low=1),
    "include_drafts": Spec(bool, False),
}

# Where `optimize review` starts from other defaults: shared CI machines are noisy, and a
# suggestion costs a reviewer's attention, so only a clear gain is worth one.
REVIEW_DEFAULTS = {"min_speedup": 1.2, "max_targets": 3}

# Hotspots worked on when neither --max-targets nor --all says otherwise.
DEFAULT_MAX_TARGETS = 3


def flag_name(name: str) -> str:
    return SPECS[name].flag or "--" + name.replace("_", "-")


def layered(repo: Path, flags: Mapping[str, Any], environ: Mapping[str, str] = os.environ,
            defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every setting of SPECS, from the highest layer that has it. `flags`: the values
    given on the command line (None or absent: not given). `defaults`: a command's own
    defaults (REVIEW_DEFAULTS), below every layer."""
    pyproject, path = pyproject_table(repo)
    unknown = sorted(set(pyproject) - set(SPECS))
    if unknown:
        raise BadSetting(f"unknown setting {unknown[0]!r} in [tool.optimize] of {path}; "
                         f"known: {', '.join(sorted(SPECS))}")
    _check_environment_names(environ)
    values = {}
    for name, spec in SPECS.items():
        value = (defaults or {}).get(name, spec.default)
        env = f"OPTIMIZE_{name.upper()}"
        for where, given in ((f"[tool.optimize] {name}", pyproject.get(name)),
                             (env, environ.get(env)),
                             (flag_name(name), flags.get(name))):
            if given is not None:
                value = spec.check(given, where)
        values[name] = value
    return values


def _check_environment_names(environ: Mapping[str, str]) -> None:
    """A misspelt setting in the environment (OPTIMIZE_MIN_SPEEDP) must not pass unnoticed.
    Other OPTIMIZE_* names are left alone: the tool's own (OPTIMIZE_HOME) and its workers'."""
    import difflib

    known = [f"OPTIMIZE_{name.upper()}" for name in SPECS]
    for key in environ:
        if key.startswith("OPTIMIZE_") and key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
            if close:
                raise BadSetting(f"{key} is not a setting; did you mean {close[0]}?")


def pyproject_table(repo: Path) -> tuple[dict, Path]:
    path = repo / "pyproject.toml"
    if not path.exists():
        return {}, path
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadSetting(f"{path} is not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("optimize", {})
    if not isinstance(table, dict):
        raise BadSetting(f"[tool.optimize] of {path} must be a table")
    return table, path


@dataclass(frozen=True)
class RunSettings:
    """What the engine needs to work on a repository: the layered settings, resolved.
    The model side (which model, its budget, cache and transcripts) is the front end's:
    the engine only sees proposers."""

    repo: Path
    out_dir: Path
    target: str | None = None
    bench: str | None = None
    max_targets: int | None = 3     # targets worked on at most (None: no limit, --all)
    all: bool = False               # every function the profile credits time to, best first
    max_minutes: float | None = None   # no target is started after this many minutes of the run
    candidates: int = 4
    min_speedup: float = 1.05
    apply: bool = False
    sandbox: str = "auto"           # "bwrap" where it works, else "process" with a warning
    max_captured: int = 64          # captured calls kept per target
    max_call_mb: float = 64.0       # a captured call's serialized size at most
    max_capture_mb: float = 1000.0  # all captured calls of one process at most
    model_rounds: int = 3           # rounds of model requests per target (rounds.py)
    strictness: Strictness = field(default_factory=Strictness)
    objective: str = "time"         # "time": faster; "memory": less peak memory, not slower
    metric: str = "time"            # "time" (seconds) or "instructions" (a count, load-independent)
    bench_rounds: int = 5           # end-to-end confirmation runs per side
    measure: MeasureSettings = field(default_factory=MeasureSettings)
    check_capabilities: bool = True  # off only in tests that show what the sandbox alone contains
    accept_unreached: bool = False  # keep, with a warning, candidates whose changed lines no call reached
    search_seconds: float = 20.0    # per target: the input search at recording, and the per-candidate searches
    second_opinion: bool = True     # a kept time speedup must be backed by the instruction count, where countable
    remeasure: bool = False         # time the chosen winner once more and report that figure (review)

    @property
    def capture_limits(self):
        from .verify.capture import CaptureLimits

        return CaptureLimits(self.max_captured, int(self.max_call_mb * 1e6), int(self.max_capture_mb * 1e6))

    @property
    def winner_is_counted(self) -> bool:
        """The chosen winner gets the instruction count's second opinion: on, for a time speedup."""
        return self.second_opinion and self.metric == "time" and self.objective == "time"

    def to_json(self) -> dict:
        """The settings a report records (what was used, not where it came from)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("repo", "out_dir"):
                continue
            if f.name == "strictness":
                value = {"rtol": value.rtol, "loose_errors": value.loose_errors}
            elif f.name == "measure":
                value = {"rounds": value.rounds, "max_rounds": value.max_rounds}
            out[f.name] = value
        return out


def run_settings(values: Mapping[str, Any], repo: Path, out_dir: Path, apply: bool = False,
                 remeasure: bool = False) -> RunSettings:
    return RunSettings(remeasure=remeasure,
        repo=repo, out_dir=out_dir, target=values["target"], bench=values["bench"],
        max_targets=values["max_targets"] or (None if values["all"] else DEFAULT_MAX_TARGETS),
        all=values["all"], max_minutes=values["max_minutes"], candidates=values["candidates"], min_speedup=values["min_speedup"],
        apply=apply, sandbox=values["sandbox"], max_captured=values["max_captured"],
        max_call_mb=values["max_call_mb"], max_capture_mb=values["max_capture_mb"],
        model_rounds=values["model_rounds"],
        strictness=Strictness(rtol=values["rtol"], loose_errors=values["loose_errors"]),
        objective=values["objective"], metric=values["metric"], accept_unreached=values["accept_unreached"],
        second_opinion=values["second_opinion"], search_seconds=values["search_seconds"],
        measure=MeasureSettings(rounds=values["rounds"], max_rounds=max(30, values["rounds"])))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
