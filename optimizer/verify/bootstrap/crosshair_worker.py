"""CrossHair's diffbehavior on the original and a candidate, in one process: the
candidate's, inside the sandbox, in the candidate's workspace.

  crosshair_worker.py MODULE QUALNAME JOB_JSON OUT_JSON      (a seal on stdin)

JOB_JSON: {"original": the original definition's source, "seconds": analysis time,
           "exceptions": "TYPE_AND_MESSAGE" | "SAME_TYPE", "max_calls": N}
OUT_JSON: {"seal", "status": "ok" | "skipped" | "error", "why", "calls", "paths",
           "exhausted", "unliteral"}

The candidate is the module's function as imported; the original is its source
executed in a copy of the same module's namespace (the module is the same but
for that one definition). Each input CrossHair finds where the two part ways is
written out only as the repr of a plain literal `((args...), {kwargs})`, checked
to read back with ast.literal_eval: this file is written by a process that ran
the candidate, so whoever reads it rebuilds the calls with literal_eval alone and
never unpickles anything from it. Standalone: no optimizer imports.
"""
import ast
import inspect
import json
import sys

_dump = json.dump   # bound before any candidate is imported
MAX_REPR = 4000     # characters of one call's literal


def main(module, qualname, job_path, out_path):
    seal = sys.stdin.readline().strip()   # before the candidate's module is imported (runs.new_seal)
    with open(job_path) as fh:
        job = json.load(fh)
    out = {"seal": seal, "status": "ok", "why": "", "calls": [], "paths": 0, "exhausted": False,
           "unliteral": 0}
    try:
        out.update(analyse(module, qualname, job))
    except Exception as exc:   # noqa: BLE001 - whatever went wrong is a note, not a verdict
        out.update(status="error", why="%s: %s" % (type(exc).__name__, str(exc)[:300]))
    with open(out_path, "w") as fh:
        _dump(out, fh)


def analyse(module, qualname, job):
    try:
        import crosshair.core_and_libs  # noqa: F401 - registers CrossHair's opcode patches and types
        from collections import Counter

        from crosshair.diff_behavior import ExceptionEquivalenceType, diff_behavior
        from crosshair.fnutil import FunctionInfo
        from crosshair.options import DEFAULT_OPTIONS, AnalysisOptionSet
    except Exception as exc:   # noqa: BLE001
        return {"status": "skipped", "why": "CrossHair is not installed (%s)" % type(exc).__name__}
    from harness import load_function

    if "." in qualname:
        return {"status": "skipped", "why": "a method (CrossHair needs the class)"}
    candidate = load_function(module, qualname)
    mod = sys.modules[module]
    namespace = dict(vars(mod))
    exec(compile(job["original"], getattr(mod, "__file__", None) or "<original>", "exec"), namespace)
    original = namespace[qualname]
    original = getattr(original, "__func__", original)
    missing = unannotated(original)
    if missing:
        return {"status": "skipped", "why": "no type annotations on " + ", ".join(missing)}

    seconds = float(job.get("seconds", 5.0))
    options = DEFAULT_OPTIONS.overlay(AnalysisOptionSet(per_condition_timeout=seconds,
                                                        per_path_timeout=max(1.0, seconds / 4)))
    options.stats = Counter()
    equivalence = ExceptionEquivalenceType[job.get("exceptions", "TYPE_AND_MESSAGE")]
    diffs = diff_behavior(FunctionInfo.from_fn(original), FunctionInfo.from_fn(candidate), options,
                          equivalence, on_nondeterminism=lambda: None)
    if isinstance(diffs, str):
        return {"status": "error", "why": diffs[:300]}
    sig = inspect.signature(original)
    calls, unliteral = [], 0
    for diff in diffs[: int(job.get("max_calls", 16))]:
        text = as_literal_call(sig, diff.args)
        if text is None:
            unliteral += 1
        else:
            calls.append(text)
    return {"calls": calls, "unliteral": unliteral, "paths": int(options.stats.get("num_paths", 0)),
            "exhausted": options.stats.get("exhaustion", 0) > 0}


def unannotated(fn):
    """Parameters without a type annotation (CrossHair cannot make inputs for them)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return ["its signature"]
    return [p.name for p in params if p.annotation is p.empty]


def as_literal_call(sig, reprs):
    """`((args...), {kwargs})` as a literal string, from CrossHair's repr per parameter;
    None when an argument's repr is not a plain literal."""
    args, kwargs = [], {}
    try:
        for p in sig.parameters.values():
            if p.name not in reprs:
                continue
            value = ast.literal_eval(reprs[p.name])
            if p.kind is p.VAR_POSITIONAL:
                args.extend(value)
            elif p.kind is p.VAR_KEYWORD:
                kwargs.update(value)
            elif p.kind is p.KEYWORD_ONLY:
                kwargs[p.name] = value
            else:
                args.append(value)
        text = repr((tuple(args), kwargs))
        if len(text) > MAX_REPR or ast.literal_eval(text) != (tuple(args), kwargs):
            return None
    except Exception:   # noqa: BLE001 - not a literal, too deep, or NaN that never equals itself
        return None
    return text


if __name__ == "__main__":
    main(*sys.argv[1:])
