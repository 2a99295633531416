"""The command line: a thin driver over the engine (session.py via run.py).

    optimize run REPO [flags]     (also `optimize REPO [flags]`, as before subcommands)
    optimize show [RUN] [--json]  the last run's summary, or one run's
    optimize runs [REPO]          the runs on this machine
    optimize review [REPO]        suggest faster versions of the functions a change touches
                                  (--base REV locally; --github in Actions: one review on the PR)
    optimize session              the interactive session (not yet)

Settings come from settings.py's layers (defaults < [tool.optimize] < OPTIMIZE_* < flags).
Every check of the user's input runs before anything is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sandboxes import BACKENDS, SandboxUnavailable, get_sandbox

from . import __version__
from .errors import OptimizeError, UsageError
from .home import runs_dir

if TYPE_CHECKING:
    from .progress import Plan as ResumePlan
    from .propose.store import Transcript
    from .settings import RunSettings

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")   # before anything can import litellm

COMMANDS = ("run", "review", "session", "show", "runs")

EXIT_CODES = """exit codes:
  0    the run completed (whether or not anything was kept)
  1    an internal failure (the traceback is in error.log in the run's folder)
  2    bad usage or input, or a GitHub API call refused (review --github): one line on stderr,
       before any other output where it can be known before the work
  130  interrupted (Ctrl-C); the partial report is written and kept edits stay kept"""

EXAMPLES = """examples:
  optimize case_studies/dedupe --target unique_ordered        offline: the pattern catalog only
  optimize run ./repo --bench "python bench.py" --max-targets 2
  optimize run ./repo --target pkg.mod:Class.method --model openai/gpt-4.1 --max-cost 1
  optimize review ./repo --base main                          suggestions for this branch, as Markdown
  optimize show                                                the last run
  optimize runs ./repo"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):   # one line, exit 2 (argparse would print the whole usage)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog="optimize", description="Find, verify and keep real speedups in a Python repository.",
                epilog=f"{EXAMPLES}\n\n{EXIT_CODES}", formatter_class=fmt)
    p.add_argument("--version", action="version", version=f"optimize {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="optimize a repository's functions (the default command)",
                         description="Profile, propose, verify, measure and keep faster versions of a "
                                     "repository's functions.", epilog=f"{EXAMPLES}\n\n{EXIT_CODES}",
                         formatter_class=fmt)
    _run_arguments(run)
    review = sub.add_parser("review", help="suggest faster versions of the functions a change touches",
                            description="Select the functions the change since --base adds or modifies, "
                                        "optimize each, and suggest only verified, significant speedups "
                                        "(Markdown or JSON on stdout; progress on stderr).",
                            epilog=f"{EXIT_CODES}", formatter_class=fmt)
    _review_arguments(review)
    what = "an interactive session: you pick the function and the candidates, the engine judges each"
    s = sub.add_parser("session", help=what, description=what + " (commands: /help)", formatter_class=fmt)
    s.add_argument("repo", help="the repository")
    s.add_argument("--script", type=Path, help="read the commands from this file instead of the terminal")
    s.add_argument("--resume", nargs="?", const="last", metavar="RUN",
                   help="pick up a session: its run folder (default: this repository's last session)")
    s.add_argument("--out", type=Path, help="folder for session.jsonl and patches (default: the runs folder)")
    _engine_arguments(s, min_speedup=1.05)
    show = sub.add_parser("show", help="print a run's summary (the last run by default)")
    show.add_argument("run", nargs="?", help="a run folder or report.json (default: the last run)")
    shown_as = show.add_mutually_exclusive_group()
    shown_as.add_argument("--json", action="store_true", help="print the run's JSON report")
    shown_as.add_argument("--html", action="store_true", help="write the run's report.html from its JSON, print its "
                      "path, and open it in a browser when run on a terminal")
    runs = sub.add_parser("runs", help="list the runs on this machine, newest first")
    runs.add_argument("repo", nargs="?", help="only runs on this repository")
    runs.add_argument("--target", help="only runs that worked on this function (pkg.mod.func, or its last part)")
    runs.add_argument("--limit", type=int, help="the newest N runs only")
    runs.add_argument("--json", action="store_true", help="print the history as JSON")
    return p


def _run_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of `optimize run`. Defaults are None: settings.py knows the real ones,
    and a flag given wins over [tool.optimize] and OPTIMIZE_*."""
    p.add_argument("repo", help="the repository: a directory with a pytest suite (git or plain)")
    p.add_argument("--target", help="func, module.func, module:Class.method, path/file.py::func")
    p.add_argument("--max-targets", type=int, help="hotspots to work on without --target (3; with --all, "
                   "no limit: the most this run starts, a --resume does the rest)")
    p.add_argument("--all", action="store_const", const=True,
                   help="every function the workload's profile credits time to, best first (--max-targets, "
                        "--max-minutes and --max-cost bound it)")
    p.add_argument("--max-minutes", type=float, help="start no target after this many minutes (no limit)")
    p.add_argument("--resume", nargs="?", const="last", metavar="RUN",
                   help="go on with an earlier run: skip its finished targets, reuse its captured calls and "
                        "model answers (default: this repository's last run)")
    p.add_argument("--executor", choices=["local", "ray"],
                   help="who works on the targets: local, one at a time (default), or ray: Ray tasks over a "
                        "cluster (pip install 'optimize[ray]')")
    p.add_argument("--ray-address", help="the Ray cluster to join (ray start --head prints it; default: a "
                   "local Ray instance with this machine's cores)")
    _engine_arguments(p, min_speedup=1.05)
    p.add_argument("--json", type=Path, help="write the JSON report to this file; patches go beside it")
    p.add_argument("--out", type=Path, help="folder for report.json and patches (default: beside --json, "
                   "else the runs folder of $OPTIMIZE_HOME or ~/.cache/optimize)")
    p.add_argument("--apply", action="store_true", help="apply kept edits to the working tree")
    p.add_argument("--objective", choices=["time", "memory"],
                   help="time: keep faster edits (default); memory: keep edits that cut peak memory "
                        "by --min-speedup without slowing down")


def _review_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("repo", nargs="?", default=".", help="the repository (default: the current folder)")
    p.add_argument("--base", help="the revision the change is measured from, e.g. main (with --github: the "
                   "pull request's base)")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown",
                   help="what is printed on stdout (markdown)")
    p.add_argument("--github", action="store_true",
                   help="inside GitHub Actions: read the pull_request event and post one review")
    p.add_argument("--max-targets", type=int, help="changed functions to try, the costliest by the profile (3)")
    p.add_argument("--max-suggestions", type=int, help="suggestions at most (3)")
    p.add_argument("--include-drafts", action="store_const", const=True,
                   help="with --github: review draft pull requests too (default: skipped)")
    p.add_argument("--out", type=Path, help="folder for review.json and review.md (default: the runs folder)")
    _engine_arguments(p, min_speedup=1.2)


def _engine_arguments(p: argparse.ArgumentParser, min_speedup: float) -> None:
    """The flags `run` and `review` share: the workload, the model, the judge."""
    p.add_argument("--bench", help="a workload command run from the repo's root, e.g. 'python bench.py'")
    p.add_argument("--model", help="a litellm model string, e.g. openai/gpt-4.1 (default: none, offline)")
    p.add_argument("--api-base", help="base URL of an OpenAI-compatible server")
    p.add_argument("--candidates", type=int, help="candidates per target per proposer (4)")
    p.add_argument("--model-rounds", type=int,
                   help="rounds of model requests per target: optimize, then repair and refine (3)")
    p.add_argument("--max-calls", type=int, help="most model calls in the whole run (no limit)")
    p.add_argument("--max-cost", type=float, help="most US dollars of model calls (no limit)")
    p.add_argument("--model-timeout", type=float, help="seconds per model call (120)")
    p.add_argument("--no-cache", dest="cache", action="store_const", const=False,
                   help="ask the model afresh instead of reusing cached answers")
    p.add_argument("--record", type=Path, help="save every model answer of the run to this transcript file")
    p.add_argument("--replay", type=Path, help="answer from a recorded transcript instead of a model (offline)")
    p.add_argument("--min-speedup", type=float,
                   help=f"keep only when the 95%% interval's low end clears this ({min_speedup:g})")
    p.add_argument("--sandbox", choices=BACKENDS,
                   help="where candidates run: bwrap (isolated), process (limits only), auto (bwrap where it works)")
    p.add_argument("--python", help="the Python that runs the repository's code (its tests, workload and our "
                   "workers): a python executable or an environment's folder (default: the repository's .venv or "
                   "venv, an active $VIRTUAL_ENV or $CONDA_PREFIX, Poetry's environment, else this one)")
    p.add_argument("--max-captured", type=int, help="captured calls kept per target: half the first seen, half "
                   "the largest (64)")
    p.add_argument("--max-call-mb", type=float, help="the largest call captured, serialized, in MB (64)")
    p.add_argument("--max-capture-mb", type=float, help="all captured calls of one process, in MB (1000)")
    p.add_argument("--rounds", type=int, help="alternating worker rounds per measurement (6)")
    p.add_argument("--rtol", type=float, help="relative tolerance when comparing floats (default 0: exact)")
    p.add_argument("--loose-errors", action="store_const", const=True,
                   help="compare exception types only, not their messages")
    p.add_argument("--accept-unreached", action="store_const", const=True,
                   help="keep, with a warning, candidates whose changed lines no compared call reached "
                        "(default: rejected; such a candidate is proven only on paths it did not change)")
    p.add_argument("--search-seconds", type=float,
                   help="per target: seconds to search for inputs that reach the original's unreached paths "
                        "when its calls are recorded, and as much again across its candidates' searches for "
                        "inputs where they part ways (CrossHair, their new literals, the model); 0 turns "
                        "both off (20)")
    p.add_argument("--no-second-opinion", dest="second_opinion", action="store_const", const=False,
                   help="keep time speedups without checking them against an instruction count "
                        "(by default, where valgrind or perf can count, a kept speedup the count does not back is "
                        "rejected)")
    p.add_argument("--metric", choices=["time", "instructions"],
                   help="time: seconds, side by side (default); instructions: a load-independent count "
                        "(perf stat, else valgrind's cachegrind) on a reduced workload")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "run")   # `optimize REPO ...` as before subcommands
    out_dir = None
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("name a repository: optimize REPO, or optimize run REPO (optimize --help lists "
                             "the commands)")
        if args.command == "session":
            return _session(args)
        if args.command == "review":
            return _review(args)
        if args.command in ("show", "runs"):
            try:
                return _show(args) if args.command == "show" else _runs(args)
            except BrokenPipeError:   # `optimize runs | head`: the reader has what it wanted
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no error at exit's flush
                return 0
        plan = _plan(args)
        out_dir = plan.settings.out_dir
        return _run(plan)
    except OptimizeError as exc:
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
            _index_failure(out_dir / "error.log", plan.settings)
        print(f"optimize: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return 1


def _new_run_dir(repo: Path) -> Path:
    """The run's folder in the runs directory, named after the repository and the time,
    with -2, -3, ... when an earlier run of the same repository started within the same
    second. Only named here: it is made when the run writes into it, so bad input leaves
    no folder behind (two runs started in the same instant could still pick one name)."""
    stem = runs_dir() / f"{repo.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = stem, 1
    while path.exists():
        n += 1
        path = stem.with_name(f"{stem.name}-{n}")
    return path


@dataclass
class Plan:
    """A checked `optimize run`: the engine's settings and the model side."""

    settings: "RunSettings"
    model: str | None
    api_base: str | None
    replay: "Transcript | None"
    record: Path | None
    use_cache: bool
    max_calls: int | None
    max_cost: float | None
    model_timeout: float
    json_path: Path | None
    out_given: bool = False
    values: dict | None = None   # the layered settings (review reads its own from them)
    executor: object = None      # executors.LocalExecutor or RayExecutor (connected)
    resume: "ResumePlan | None" = None   # the earlier run's plan (--resume)
    progress_dir: Path | None = None   # where the run records its progress (--resume finds it)


def _plan(args, review: bool = False) -> Plan:
    """Every check of the input, before anything is printed. `review`: optimize review's
    defaults (settings.REVIEW_DEFAULTS) and its winner timed twice."""
    from .propose.llm import check_credentials, preflight, resolve_model
    from .propose.store import Transcript
    from .settings import REVIEW_DEFAULTS, SPECS, layered, run_settings

    repo = Path(args.repo).expanduser()
    if not repo.is_dir():
        raise UsageError(f"{args.repo} is not a directory")
    repo = repo.resolve()
    values = layered(repo, {name: getattr(args, name, None) for name in SPECS},
                     defaults=REVIEW_DEFAULTS if review else None)
    is_run = getattr(args, "command", None) == "run"   # a session's --resume is its own (session.jsonl)
    resumed = _resumed_plan(args, repo, values) if is_run and args.resume else None
    if review:
        values["target"] = None   # a review's targets are the change's, never [tool.optimize] target
    if getattr(args, "json", None) and not args.json.parent.expanduser().resolve().is_dir():
        parent = args.json.parent
        raise UsageError(f"cannot write {args.json}: {parent} "
                         + ("is not a directory" if parent.expanduser().exists() else "does not exist"))
    if values["metric"] == "instructions":
        from .measure.instructions import counter

        if counter() is None:
            raise UsageError("--metric instructions needs valgrind (apt-get install valgrind) or perf "
                             "with access to hardware counters")
    from . import interpreter

    interpreter.use(interpreter.choose(repo, values["python"]))   # a wrong or pytest-less one: exit 2 here
    try:
        get_sandbox(values["sandbox"])   # fails here, before any work, if the backend cannot run
    except SandboxUnavailable as exc:
        raise UsageError(str(exc)) from None
    transcript, model, api_base = None, values["model"], values["api_base"]
    if args.replay:
        if args.model or args.record:
            raise UsageError("--replay answers from a transcript: it does not go with --model or --record")
        try:
            transcript = Transcript.load(args.replay.expanduser())
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        model, api_base = transcript.model or "replay", None
    else:
        model, _ = resolve_model(model, {}, os.environ)   # a provider key alone picks its default model
        if model:
            check_credentials(model, api_base, os.environ)
        elif args.record:
            raise UsageError("--record saves a model's answers: name a model (--model) to record")
        if args.record and not args.record.expanduser().resolve().parent.is_dir():
            raise UsageError(f"cannot write {args.record}: {args.record.parent} is not a directory")
    json_path = args.json.expanduser().resolve() if getattr(args, "json", None) else None
    if model and not transcript:
        preflight(model, api_base, timeout=min(10.0, values["model_timeout"]))
    out_dir = resumed[0] if resumed else args.out or (json_path.parent if json_path else _new_run_dir(repo))
    settings = run_settings(values, repo, out_dir.expanduser().resolve(), apply=getattr(args, "apply", False),
                            remeasure=review)
    executor = None
    if is_run:
        from .executors import executor_for

        if values["executor"] == "ray" and args.record:
            raise UsageError("--record writes one transcript from one process: it goes with the local executor, "
                             "not --executor ray")
        executor = executor_for(values["executor"], values["ray_address"])
        if values["executor"] == "ray":
            executor.connect()   # an unreachable cluster or a missing extra: exit 2 here
    # --json FILE alone writes that file (and patches beside it), nothing more there: its progress
    # goes to a run folder of its own in the runs folder, where --resume finds it
    progress_dir = resumed[0] if resumed else _new_run_dir(repo) if json_path and not args.out else out_dir
    return Plan(settings, model, api_base, transcript, args.record, values["cache"], values["max_calls"],
                values["max_cost"], values["model_timeout"], json_path, args.out is not None or bool(resumed),
                values, executor, resumed[1] if resumed else None, progress_dir.expanduser().resolve())


# What a resumed run must repeat as it was: they decide which targets there are and what
# their captured calls are. Everything else (budgets, the judge's settings) may change.
_RESUME_FIXED = ("target", "bench", "all")


def _resumed_plan(args, repo: Path, values: dict):
    """(the run folder, its plan) for --resume RUN, checked: the same repository, unchanged
    since (but for the run's own --apply), and the same workload; `values` takes the
    run's workload where the command line does not repeat it."""
    from .progress import Progress, fingerprint, run_folder
    from .settings import flag_name

    if args.out:
        raise UsageError("--resume goes on in the run's own folder: it does not go with --out")
    folder = run_folder(args.resume, repo, runs_dir())
    what = f"--resume {args.resume}" if args.resume != "last" else f"--resume (the last run, {folder.name})"
    progress = Progress(folder)
    plan = progress.load_plan()
    if plan.repo != str(repo):
        raise UsageError(f"{what}: that run was on {plan.repo}, not {repo}")
    if fingerprint(repo) != (progress.expected_fingerprint() or plan.fingerprint):
        raise UsageError(f"{what}: {repo} changed since that run; its captured calls and "
                         "verified edits belong to the code they were made on: start a new run")
    for name in _RESUME_FIXED:
        given = getattr(args, name, None)
        if given is not None and given != plan.workload.get(name):
            raise UsageError(f"{what}: {flag_name(name)} differs from that run's "
                             f"({plan.workload.get(name)!r}); start a new run to change it")
        values[name] = plan.workload.get(name)
    return folder, plan


def _proposers(plan: Plan, budget) -> tuple[list, str]:
    """The model side the plan names (a model, a transcript, or none), before the catalog;
    and the line that says which."""
    from .propose.patterns import PatternProposer

    proposers, intro = [PatternProposer()], ("no model configured: running the offline pattern catalog only "
                                            "(set --model, [tool.optimize] model, or OPENAI_API_KEY / "
                                            "ANTHROPIC_API_KEY)")
    if plan.replay:
        from .propose.llm import ReplayProposer

        proposers.insert(0, ReplayProposer(plan.replay))
        intro = f"replaying {plan.replay.path} (answers of {plan.model}), plus the offline pattern catalog"
    elif plan.model:
        from .propose.llm import LLMProposer
        from .propose.store import ResponseCache, Transcript

        record = Transcript(plan.record.expanduser().resolve(), model=plan.model) if plan.record else None
        cache = ResponseCache(read=plan.use_cache, run_root=plan.settings.out_dir / "responses")
        proposers.insert(0, LLMProposer(plan.model, api_base=plan.api_base, timeout=plan.model_timeout,
                                        budget=budget, cache=cache, record=record))
        intro = f"model: {plan.model}, plus the offline pattern catalog"
    return proposers, intro


def _run(plan: Plan) -> int:
    from .progress import Progress
    from .propose.budget import Budget
    from .report import View
    from .run import run
    from .session import Session

    settings = plan.settings
    budget = Budget(max_cost=plan.max_cost, max_calls=plan.max_calls)
    proposers, intro = _proposers(plan, budget)
    # --json alone writes just that file (patches beside it); --out (or neither) writes report.json there
    paths = ([plan.json_path] if plan.json_path else []) + \
        ([settings.out_dir / "report.json"] if plan.out_given or not plan.json_path else [])
    with Session(settings, budget=budget) as session:
        targets = session.locate(settings.target) if settings.target and not plan.resume else None   # bad names:
        if settings.apply and targets:                                                       # before any output
            _check_apply(settings, targets[0])
        view = session.events = View()
        view.stage(intro) if plan.model else view.note(intro)
        report = None
        try:
            report = run(session, proposers, targets=targets, model=plan.model, executor=plan.executor,
                         progress=Progress(plan.progress_dir), resume=plan.resume)
        finally:
            plan.executor.close()
            if report is None:
                view.abort()
            else:
                html = _write_reports(report, paths, view)
                view.close(report, paths[0], html)
    return 130 if report.status == "interrupted" else 0


def _write_reports(report, paths: list[Path], view) -> Path | None:
    """report.json at each path, report.html beside each, and the first indexed in the
    history. The JSON is written first: a failure in the HTML or the index loses nothing
    verified, and is said in one line."""
    from .report import history, write_json
    from .report.html import html_path_for, write_html

    for path in paths:
        write_json(report, path)
    data, pages = report.to_json(), []
    try:
        pages = [write_html(data, html_path_for(path)) for path in paths]
    except Exception as exc:   # noqa: BLE001 - see above
        view.note(f"report.html not written: {type(exc).__name__}: {exc}")
    _index(history.record_run, paths[0], data, say=view.note)
    return pages[0] if pages else None


def _index(record, *args, say=None) -> None:
    """Add a run to the history (report/history.py). A failure there (a read-only or
    locked home folder) is said in one line and is never fatal: the report is the record."""
    try:
        record(*args)
    except Exception as exc:   # noqa: BLE001
        if say is not None:
            say(f"not in the history (optimize runs): {type(exc).__name__}: {exc}")


def _review(args) -> int:
    """optimize review: Markdown or JSON on stdout, progress on stderr; with --github, the
    job's event and token, one review posted (nothing when nothing is new)."""
    from rich.console import Console

    from .errors import BadRevision
    from .github import SKIP_LABEL, GitHub, actions_context
    from .propose.budget import Budget
    from .report import View
    from .review import review, suggested_before, to_markdown
    from .session import Session
    from .workspace import git_root

    ctx = actions_context(os.environ) if args.github else None
    base = args.base or (ctx.pull.base_sha if ctx else None)
    if not base:
        raise UsageError("name the revision the change is from: optimize review REPO --base main")
    plan = _plan(args, review=True)
    settings, values = plan.settings, plan.values
    summary = ctx.step_summary if ctx else None
    gh = suggested = None
    if ctx:
        git, _, why_not = git_root(settings.repo)
        head = git.head.commit.hexsha if git is not None and git.head.is_valid() else None
        if head != ctx.pull.head_sha:
            raise UsageError(f"the checkout is {head or why_not}, not the pull request's head {ctx.pull.head_sha}: "
                             "check out with ref: ${{ github.event.pull_request.head.sha }} and fetch-depth: 0")
        skip = ("it is a draft (--include-drafts reviews drafts)" if ctx.pull.draft and not values["include_drafts"]
                else f"it has the label {SKIP_LABEL}" if SKIP_LABEL in ctx.pull.labels else "")
        if skip:
            _append(summary, f"## optimize review: skipped\n\nPull request #{ctx.pull.number} was not reviewed: "
                             f"{skip}.\n")
            print(f"optimize review: skipped pull request #{ctx.pull.number}: {skip}", file=sys.stderr)
            return 0
        gh = GitHub(ctx.api_url, ctx.token)
        suggested = suggested_before(gh.earlier_texts(ctx.pull))   # a bad token fails here, before any work
    try:
        from .changes import merge_base

        merge_base(settings.repo, base)
    except BadRevision as exc:
        raise BadRevision(f"{exc}" + ("; fetch the base too (actions/checkout with fetch-depth: 0)" if ctx else "")) \
            from None
    budget = Budget(max_cost=plan.max_cost, max_calls=plan.max_calls)
    proposers, intro = _proposers(plan, budget)
    started = time.time()
    with Session(settings, budget=budget) as session:
        view = session.events = View(Console(stderr=True, highlight=False), winner_word="suggested")
        view.note(intro)
        try:
            result = review(session, proposers, base, max_suggestions=values["max_suggestions"],
                            suggested=suggested or set(), label=ctx.pull.base_ref or None if ctx else None)
        finally:
            view.abort()
    markdown = to_markdown(result)
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    (settings.out_dir / "review.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    _index_review(settings.out_dir / "review.json", result, settings, plan.model, budget, started)
    (settings.out_dir / "review.md").write_text(markdown)
    print(json.dumps(result.to_json(), indent=2) if args.format == "json" else markdown, end="" if
          args.format == "markdown" else "\n")
    print(f"optimize review: {len(result.suggestions)} suggestion(s), {result.status} in {result.duration_s:.0f}s; "
          f"{settings.out_dir / 'review.md'}", file=sys.stderr)
    if ctx:
        _append(summary, markdown)
        with gh:
            _post(gh, ctx.pull, result, file=sys.stderr)
    return 130 if result.status == "interrupted" else 0


def _index_review(path: Path, result, settings, model: str | None, budget, started: float) -> None:
    from .report import history
    from .run import run_meta

    meta = run_meta(settings, started)
    _index(history.record_review, path, result.to_json(), str(settings.repo), meta["started"], meta["git_revision"],
           model, {"calls": budget.spent.calls, "cost_usd": budget.spent.cost_usd},
           say=lambda text: print(f"optimize review: {text}", file=sys.stderr))


def _session(args) -> int:
    """optimize session: commands from the terminal, --script or stdin; each candidate
    judged by the engine; session.jsonl in the run folder."""
    from rich.console import Console

    from .home import home
    from .interactive import Interactive, PlainEvents, SessionLog, script_lines, terminal_lines
    from .propose.budget import Budget
    from .session import Session, runnable_proposers

    if args.script and not args.script.is_file():
        raise UsageError(f"--script {args.script}: no such file")
    resumed = _session_log(args.resume, Path(args.repo).expanduser().resolve()) if args.resume else None
    if resumed and not args.out:
        args.out = resumed.parent   # the resumed session goes on in its own folder
    plan = _plan(args)
    settings = plan.settings
    budget = Budget(max_cost=plan.max_cost, max_calls=plan.max_calls)
    proposers, intro = _proposers(plan, budget)
    console = Console(highlight=False)

    log = None

    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
        if log is not None:
            log.said(text)

    with Session(settings, budget=budget) as session:
        session.events = PlainEvents(say)
        proposers, refusal = runnable_proposers(proposers, settings.sandbox, session.sandbox)
        for note in session.notes + ([refusal] if refusal else []) + [intro]:
            say(f"! {note}")
        log = SessionLog(settings.out_dir / "session.jsonl")
        log.write("start", repo=str(settings.repo), model=plan.model, settings=settings.to_json())
        repl = Interactive(session, proposers, log, say, model=next((p for p in proposers if not p.trusted), None))
        if resumed:
            from .interactive import read_log

            repl.resume(read_log(resumed))
        if args.script:
            lines = script_lines(args.script.open())
        elif sys.stdin.isatty():
            say("optimize session: /help lists the commands; /quit or Ctrl-D ends it")
            home().mkdir(parents=True, exist_ok=True)
            lines = terminal_lines(sorted({t.qualname for t in session.index}), home() / "session_history")
        else:
            lines = script_lines(sys.stdin)
        try:
            repl.run(lines)
        finally:
            log.write("end", accepted=len(repl.accepted), candidates=len(repl.rows))
            log.close()
            log = None
            _index_session(settings.out_dir / "session.jsonl", budget)
    say(f"session log: {settings.out_dir / 'session.jsonl'}")
    return 0


def _index_session(path: Path, budget) -> None:
    from .interactive import read_log
    from .report import history

    _index(history.record_session, path, read_log(path), {"calls": budget.spent.calls, "cost_usd": budget.spent.cost_usd},
           say=lambda text: print(f"optimize session: {text}", file=sys.stderr))


def _session_log(run: str, repo: Path) -> Path:
    """The session.jsonl `--resume RUN` names: a run folder, a name `optimize runs` shows, or
    "last" (the newest session of `repo`)."""
    from .interactive import read_log

    if run == "last":
        found = sorted((p for p in runs_dir().glob("*/session.jsonl")
                        if any(e.get("event") == "start" and e.get("repo") == str(repo) for e in read_log(p)[:1])),
                       key=lambda p: p.stat().st_mtime)
        if not found:
            raise UsageError(f"--resume: no earlier session of {repo} in {runs_dir()}")
        return found[-1]
    path = Path(run).expanduser()
    if not path.exists() and (runs_dir() / run).is_dir():
        path = runs_dir() / run
    path = path / "session.jsonl" if path.is_dir() else path
    if not path.is_file():
        raise UsageError(f"--resume {run}: no session.jsonl there")
    return path


def _post(gh, pull, result, file) -> None:
    """One review with every new suggestion, or nothing; a fork's read-only token posts nothing.
    When GitHub refuses the line comments (422: a line it does not take), the review is
    posted again with every suggestion in its body."""
    from .github import GitHubError
    from .review import comments_and_body

    if not result.suggestions:
        print("optimize review: nothing to suggest: nothing posted", file=file)
    elif result.status != "completed":
        print("optimize review: interrupted: nothing posted", file=file)
    elif pull.from_fork:
        print("optimize review: a pull request from a fork: its token cannot post; the suggestions are in the "
              "job summary", file=file)
    else:
        comments, body = comments_and_body(result)
        try:
            posted = gh.post_review(pull, body, comments)
        except GitHubError as exc:
            if " 422 " not in str(exc) or not comments:
                raise
            print(f"optimize review: {exc}; posting the suggestions in the review's body instead", file=file)
            posted = gh.post_review(pull, comments_and_body(result, inline=False)[1], [])
        print(f"optimize review: posted a review with {len(result.suggestions)} suggestion(s): "
              f"{(posted or {}).get('html_url', '')}", file=file)


def _append(path: Path | None, text: str) -> None:
    if path is not None:
        with open(path, "a") as f:
            f.write(text.rstrip("\n") + "\n\n")


def _index_failure(log: Path, settings) -> None:
    """A run that failed is in the history too, pointing at its error.log."""
    from .report import history

    _index(history.record_failure, log, str(settings.repo))


def _check_apply(settings, target) -> None:
    """--apply refuses up front when the named target's file has uncommitted changes."""
    from .workspace import git_root, is_dirty

    repo, prefix, _ = git_root(settings.repo)
    if repo is not None and is_dirty(repo, prefix + target.file):
        raise UsageError(f"--apply: {target.file} has uncommitted changes; commit or stash them first")


# -- show, runs --------------------------------------------------------------------------
def _report_path(run: str | None) -> Path:
    """The report.json `run` names (a run folder, a report file, or a folder name in the
    runs folder), else the last run the history knows."""
    from .report import history

    if not run:
        found = [r for r in history.runs() if r.kind == "run" and r.report.endswith(".json") and r.exists]
        if not found:
            raise UsageError("no runs yet on this machine (optimize runs lists them; runs are indexed in "
                             f"{history.index_path()})")
        return Path(found[0].report)
    path = Path(run).expanduser()
    if not path.exists() and (runs_dir() / run).is_dir():   # a name `optimize runs` lists
        path = runs_dir() / run
    path = path / "report.json" if path.is_dir() else path
    if not path.is_file():
        log = path.parent / "error.log"
        raise UsageError(f"no report at {path}" + (f": the run failed, see {log}" if log.is_file() else ""))
    return path


def _show(args) -> int:
    """The run's summary; --json its JSON; --html its HTML page (written from the JSON,
    opened in a browser when one is at hand on a terminal)."""
    path = _report_path(args.run)
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "candidates" not in data:
            raise ValueError("not a report of optimize run")
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    if args.html:
        from .report.html import html_path_for, write_html

        html = write_html(data, html_path_for(path))
        print(html)
        if sys.stdout.isatty():
            import webbrowser

            webbrowser.open(html.resolve().as_uri())   # False (nothing opens) where no browser is found
        return 0
    print(f"{path}\n{data.get('repo')}: {data.get('status')}, {len(data.get('candidates', []))} candidate(s), "
          f"{len(data.get('kept', []))} kept")
    for c in data.get("candidates", []):
        speed = f"{c['speedup']:.2f}x [{c['ci'][0]:.2f}, {c['ci'][1]:.2f}]" if c.get("speedup") else "-"
        print(f"  {c['status']:<9} {c['target']}  {c['origin']}  {speed}")
    for k in data.get("kept", []):
        print(f"kept {k['target']}: {k['speedup']:.2f}x -> {k.get('branch') or 'no branch'}, patch {k['patch_file']}")
    for note in data.get("notes", []):
        print(f"! {note}")
    html = path.with_suffix(".html")
    if html.is_file():
        print(f"HTML: {html}")
    return 0


def _runs(args) -> int:
    """The history: one line per run, newest first, from the SQLite index (report/history.py)."""
    from .report import history

    repo = str(Path(args.repo).expanduser().resolve()) if args.repo else None
    rows = history.runs(repo=repo, target=args.target, limit=args.limit)
    if args.json:
        print(json.dumps([{**{k: v for k, v in vars(r).items() if k != "targets"}, "exists": r.exists,
                           "targets": [vars(t) for t in r.targets]} for r in rows], indent=2))
        return 0
    if not rows:
        print("no runs" + (f" on {repo}" if repo else "") + (f" of {args.target}" if args.target else ""))
        return 0
    for r in rows:
        kept = [f"{t.target} {t.speedup:.2f}x" for t in r.targets if t.fate in ("kept", "suggested") and t.speedup]
        tried = len(r.targets)
        what = (", ".join(kept) if kept else "nothing kept") + f" ({tried} target{'s' * (tried != 1)})" \
            if r.status != "failed" else f"failed: see {r.report}"
        cost = f"  ${r.cost_usd:.4f}" if r.cost_usd else ""
        revision = (r.revision or "no git")[:12] + ("+dirty" if r.revision and r.revision.endswith("+dirty") else "")
        gone = "" if r.exists else "  (report deleted)"
        print(f"{r.started or '?':<25}  {r.kind:<6}  {r.status:<11}  {r.repo}@{revision}  {what}{cost}{gone}\n"
              f"    {Path(r.report).parent}")
    return 0
