"""Command line: arguments -> RunConfig -> loop; exit codes. Nothing else.

Exit 0: the run completed (kept or not). 2: bad usage or input, one line, no
traceback. 1: an internal failure (the traceback goes to error.log in the
output folder). 130: interrupted; the partial report is still written.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path

from sandboxes import BACKENDS, SandboxUnavailable, get_sandbox

from .errors import UsageError
from .propose.store import Transcript

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")   # before anything can import litellm


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):   # one line, exit 2 (argparse would print the whole usage)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="optimize", description="Find, verify and keep real speedups in a Python repository.")
    p.add_argument("repo", help="the repository: a directory with a pytest suite (git or plain)")
    p.add_argument("--target", help="func, module.func, module:Class.method, path/file.py::func")
    p.add_argument("--bench", help="a workload command run from the repo's root, e.g. 'python bench.py'")
    p.add_argument("--max-targets", type=int, default=3, help="hotspots to work on without --target (3)")
    p.add_argument("--model", help="a litellm model string, e.g. openai/gpt-4.1 (default: none, offline)")
    p.add_argument("--api-base", help="base URL of an OpenAI-compatible server")
    p.add_argument("--candidates", type=int, default=4, help="candidates per target per proposer (4)")
    p.add_argument("--model-rounds", type=int, default=None,
                   help="rounds of model requests per target: optimize, then repair and refine (3)")
    p.add_argument("--max-calls", type=int, default=None, help="most model calls in the whole run (no limit)")
    p.add_argument("--max-cost", type=float, default=None, help="most US dollars of model calls (no limit)")
    p.add_argument("--model-timeout", type=float, default=None, help="seconds per model call (120)")
    p.add_argument("--no-cache", action="store_true", help="ask the model afresh instead of reusing cached answers")
    p.add_argument("--record", type=Path, help="save every model answer of the run to this transcript file")
    p.add_argument("--replay", type=Path, help="answer from a recorded transcript instead of a model (offline)")
    p.add_argument("--min-speedup", type=float, default=1.05,
                   help="keep only when the 95%% interval's low end clears this (1.05)")
    p.add_argument("--json", type=Path, help="write the JSON report here; patches go beside it")
    p.add_argument("--out", type=Path, help="folder for the report and patches (default: beside --json, "
                   "else ~/.cache/optimize/runs/...)")
    p.add_argument("--apply", action="store_true", help="apply kept edits to the working tree")
    p.add_argument("--sandbox", choices=BACKENDS, default=None,
                   help="where candidates run: bwrap (isolated), process (limits only), auto (bwrap where it works)")
    p.add_argument("--max-captured", type=int, default=64, help="captured calls kept per target (64)")
    p.add_argument("--rounds", type=int, default=6, help="alternating worker rounds per measurement (6)")
    p.add_argument("--rtol", type=float, default=0.0,
                   help="relative tolerance when comparing floats (default 0: exact)")
    p.add_argument("--loose-errors", action="store_true",
                   help="compare exception types only, not their messages")
    p.add_argument("--accept-unreached", action="store_true",
                   help="keep, with a warning, candidates whose changed lines no compared call reached "
                        "(default: rejected; such a candidate is proven only on paths it did not change)")
    p.add_argument("--search-seconds", type=float, default=20.0,
                   help="per target: seconds to search for inputs that reach the original's unreached paths "
                        "when its calls are recorded, and as much again across its candidates' searches for "
                        "inputs where they part ways (CrossHair, their new literals, the model); 0 turns "
                        "both off (20)")
    p.add_argument("--no-second-opinion", action="store_true",
                   help="keep time speedups without checking them against an instruction count "
                        "(by default, where valgrind or perf can count, a kept speedup the count does not back is "
                        "rejected)")
    p.add_argument("--metric", choices=["time", "instructions"], default="time",
                   help="time: seconds, side by side (default); instructions: a load-independent count "
                        "(perf stat, else valgrind's callgrind) on a reduced workload")
    p.add_argument("--objective", choices=["time", "memory"], default="time",
                   help="time: keep faster edits (default); memory: keep edits that cut peak memory "
                        "by --min-speedup without slowing down")
    return p


def main(argv: list[str] | None = None) -> int:
    out_dir, json_path = None, None
    try:
        args = build_parser().parse_args(argv)
        config, models = _config(args)
        out_dir, json_path = config.out_dir, args.json
        return _run(config, models, json_path)
    except UsageError as exc:
        print(f"optimize: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("optimize: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:   # an internal failure: say so in one line, keep the traceback
        where = ""
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "error.log").write_text(traceback.format_exc())
            where = f" (traceback in {out_dir / 'error.log'})"
        print(f"optimize: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 1


def _config(args):
    from .loop import RunConfig
    from .measure.runner import MeasureSettings
    from .verify.equivalence import Strictness
    from .propose.llm import check_credentials, resolve_model

    repo = Path(args.repo).expanduser()
    if not repo.is_dir():
        raise UsageError(f"{args.repo} is not a directory")
    repo = repo.resolve()
    settings = _pyproject_settings(repo)
    pick = _Settings(settings, os.environ)
    model_rounds = pick.get("model_rounds", args.model_rounds, int, 3)
    max_calls = pick.get("max_calls", args.max_calls, int, None)
    max_cost = pick.get("max_cost", args.max_cost, float, None)
    model_timeout = pick.get("model_timeout", args.model_timeout, float, 120.0)
    for name, value, low in (("--candidates", args.candidates, 1), ("--max-targets", args.max_targets, 1),
                             ("--max-captured", args.max_captured, 1), ("--rounds", args.rounds, 2),
                             ("--model-rounds", model_rounds, 1), ("--max-calls", max_calls, 0),
                             ("--max-cost", max_cost, 0), ("--model-timeout", model_timeout, 1),
                             ("--search-seconds", args.search_seconds, 0)):
        if value is not None and not value >= low:   # NaN too
            raise UsageError(f"{name} must be at least {low}, got {value}")
    if not 0 <= args.rtol < 1:
        raise UsageError(f"--rtol must be in [0, 1), got {args.rtol}")
    if args.min_speedup <= 0:
        raise UsageError(f"--min-speedup must be positive, got {args.min_speedup}")
    if args.json and not args.json.parent.expanduser().resolve().is_dir():
        raise UsageError(f"cannot write {args.json}: {args.json.parent} is not a directory")
    if args.metric == "instructions":
        from .measure.instructions import counter

        if counter() is None:
            raise UsageError("--metric instructions needs valgrind (apt-get install valgrind) or perf "
                             "with access to hardware counters")
    sandbox = pick.get("sandbox", args.sandbox, str, "auto")
    try:
        get_sandbox(sandbox)   # fails here, before any work, if the backend cannot run
    except SandboxUnavailable as exc:
        raise UsageError(str(exc)) from None
    transcript = None
    if args.replay:
        if args.model or args.record:
            raise UsageError("--replay answers from a transcript: it does not go with --model or --record")
        try:
            transcript = Transcript.load(args.replay.expanduser())
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        model, api_base = transcript.model or "replay", None
    else:
        model, api_base = resolve_model(args.model, settings, os.environ)
        api_base = args.api_base or api_base   # flags before [tool.optimize]
        if model:
            check_credentials(model, api_base, os.environ)
        elif args.record:
            raise UsageError("--record saves a model's answers: name a model (--model) to record")
        if args.record and not args.record.expanduser().resolve().parent.is_dir():
            raise UsageError(f"cannot write {args.record}: {args.record.parent} is not a directory")
    out_dir = args.out or (args.json.parent.resolve() if args.json else
                           Path.home() / ".cache" / "optimize" / "runs" / f"{repo.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    config = RunConfig(repo=repo, out_dir=out_dir.expanduser().resolve(), target=args.target,
                       bench=args.bench or settings.get("bench"), max_targets=args.max_targets,
                       candidates=args.candidates, min_speedup=args.min_speedup, apply=args.apply,
                       sandbox=sandbox, max_captured=args.max_captured, model_rounds=model_rounds,
                       strictness=Strictness(rtol=args.rtol, loose_errors=args.loose_errors),
                       objective=args.objective, metric=args.metric, accept_unreached=args.accept_unreached,
                       second_opinion=not args.no_second_opinion,
                       search_seconds=args.search_seconds,
                       measure=MeasureSettings(rounds=args.rounds, max_rounds=max(30, args.rounds)))
    models = ModelSettings(model, api_base, transcript, args.record, not args.no_cache, max_calls, max_cost,
                           model_timeout)
    return config, models


@dataclass
class ModelSettings:
    """What the model side of a run needs (the loop itself knows nothing of providers)."""

    model: str | None
    api_base: str | None
    replay: "Transcript | None"
    record: Path | None
    use_cache: bool
    max_calls: int | None
    max_cost: float | None
    timeout: float


class _Settings:
    """A setting from its flag, else `[tool.optimize]` in the repo's pyproject.toml,
    else the environment (OPTIMIZE_<NAME>), else the default."""

    def __init__(self, pyproject: dict, environ):
        self.pyproject, self.environ = pyproject, environ

    def get(self, name: str, flag, cast, default):
        if flag is not None:
            return flag
        for where, value in ((f"[tool.optimize] {name}", self.pyproject.get(name)),
                             (f"OPTIMIZE_{name.upper()}", self.environ.get(f"OPTIMIZE_{name.upper()}"))):
            if value is not None:
                try:
                    return cast(value)
                except (TypeError, ValueError):
                    raise UsageError(f"{where} must be a {cast.__name__}, got {value!r}") from None
        return default


def _pyproject_settings(repo: Path) -> dict:
    path = repo / "pyproject.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from None
    return data.get("tool", {}).get("optimize", {})


def _run(config, models: ModelSettings, json_path) -> int:
    from .loop import run
    from .model import LLMUsage, Report
    from .propose.budget import Budget
    from .propose.patterns import PatternProposer
    from .report import View, write_json

    view = View()
    proposers = [PatternProposer()]
    budget = Budget(max_cost=models.max_cost, max_calls=models.max_calls)
    model = models.model
    if models.replay:
        from .propose.llm import ReplayProposer

        proposers.insert(0, ReplayProposer(models.replay))
        view.stage(f"replaying {models.replay.path} (answers of {model}), plus the offline pattern catalog")
    elif model:
        from .propose.llm import LLMProposer
        from .propose.store import ResponseCache, Transcript

        record = Transcript(models.record.expanduser().resolve(), model=model) if models.record else None
        proposers.insert(0, LLMProposer(model, api_base=models.api_base, timeout=models.timeout, budget=budget,
                                        cache=ResponseCache(read=models.use_cache), record=record))
        view.stage(f"model: {model}, plus the offline pattern catalog")
    else:
        view.note("no model configured: running the offline pattern catalog only "
                  "(set --model, [tool.optimize] model, or OPENAI_API_KEY / ANTHROPIC_API_KEY)")
    _check_apply(config)
    report = Report(repo=str(config.repo), model=model)
    try:
        run(config, proposers, report, view, budget)
    finally:
        report.llm = LLMUsage()
        for p in proposers:
            if hasattr(p, "usage"):
                report.llm.add(p.usage)
        if report.status == "running":
            report.status = "failed"
        write_json(report, config.out_dir / "report.json")
        if json_path:
            write_json(report, json_path)
        view.close(report)
        for note in report.notes:
            view.note(note)
        view.console.print(f"report: {json_path or config.out_dir / 'report.json'}")
    return 130 if report.status == "interrupted" else 0


def _check_apply(config) -> None:
    """--apply refuses up front when the named target's file has uncommitted changes."""
    if not (config.apply and config.target):
        return
    from .target import index_repo, resolve
    from .workspace import git_repo, is_dirty

    target = resolve(index_repo(config.repo), config.target)
    repo = git_repo(config.repo)
    if repo is not None and is_dirty(repo, target.file):
        raise UsageError(f"--apply: {target.file} has uncommitted changes; commit or stash them first")
