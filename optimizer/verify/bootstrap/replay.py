"""Replay calls and judge a candidate against the original.

  replay.py record MODULE QUALNAME CAPTURED ALL_CALLS EXPECTED INFO_JSON   (the original)
  replay.py check  MODULE QUALNAME ALL_CALLS EXPECTED VERDICT_JSON OPTIONS_JSON   (a candidate)

`record` runs the original twice on every captured call and on generated ones;
calls where the two runs disagree (time, randomness, hash order, state) are set
aside, generated calls it cannot finish in reasonable time are dropped. What is
left, with the original's outcome, is the oracle. `check` runs a candidate on
those calls and stops at the first difference, naming the call.
"""
import inspect
import json
import pickle
import random
import signal
import sys
import time

from compare import (EXHAUSTION, REFUSALS, Consumed, Outcome, _is_iterator, call_kinds, difference, foreign_kinds, is_mutable, narrows,
                     run_outcome)
from blockreach import Shape, Tracing
from harness import load_calls, load_function, short
from inputs import dictionary, generate, generate_tagged, mutants

_dump = json.dump   # bound before any candidate is imported
GENERATED_BUDGET_S = 20.0    # seconds per target for the search of new calls (record's search_seconds)
MAX_NEW_CALLS = 400          # generated and mutated calls kept per target
SPARE = {"generated": 120, "mutated": 120}   # kept without reaching anything new (diversity)
STALL_ROUNDS = 8             # mutation rounds in a row that reach nothing new end the search


class _TooSlow(BaseException):
    """Raised by the timer inside a call; BaseException so the call's own
    `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise _TooSlow()


def _ignore_alarm(signum, frame):
    pass


def run_limited(fn, blob, limit):
    """(outcome, seconds), or (None, limit) when the call takes longer than limit.
    The timer repeats every quarter second past the limit: a _TooSlow raised where
    Python cannot pass it on (a __del__, a callback) is lost, and the next one stops
    the call; once the call is over, a late alarm is ignored."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit, 0.25)
    start = time.perf_counter()
    try:
        try:
            outcome = run_outcome(fn, blob)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _ignore_alarm)
    except _TooSlow:
        return None, limit
    return outcome, time.perf_counter() - start


def is_method(fn, qualname):
    try:
        first = next(iter(inspect.signature(fn).parameters), "")
    except (TypeError, ValueError):
        return False
    return "." in qualname and first in ("self", "cls")


def accepts_iterators(fn, blob, limit):
    """A call passing a one-shot iterator where a list was captured is kept only when
    the original treats it like that list (same outcome): otherwise the original
    was never meant to take one, and its behaviour on it judges nothing."""
    args, kwargs = pickle.loads(blob)
    if not any(_is_list_iterator(a) for a in list(args) + list(kwargs.values())):
        return True
    try:   # the other arguments may hold lambdas or closures, as capture keeps them
        from cloudpickle import dumps
    except ImportError:
        dumps = pickle.dumps
    as_lists = dumps((tuple(list(a) if _is_list_iterator(a) else a for a in args),
                      {k: list(v) if _is_list_iterator(v) else v for k, v in kwargs.items()}), protocol=4)
    with_iter, _ = run_limited(fn, blob, limit)
    with_list, _ = run_limited(fn, as_lists, limit)
    if with_iter is None or with_list is None:
        return False
    with_iter.after = with_list.after = None   # the arguments differ by construction
    return difference(with_list, with_iter) is None


def _is_list_iterator(value):
    return type(value).__name__ == "list_iterator"


def record(module, qualname, captured_path, all_calls_path, expected_path, info_path, given_path=None,
           search_seconds=GENERATED_BUDGET_S):
    fn = load_function(module, qualname)
    method = is_method(fn, qualname)
    captured = load_calls(captured_path)
    if given_path:   # search.py: only the given calls, under their own origins (record_given)
        return record_given(fn, method, captured, given_path, all_calls_path, expected_path, info_path)
    calls, expected, seconds = [], {}, {}
    info = {"captured": len(captured), "unstable_captured": 0, "generated": 0, "unstable_generated": 0,
            "mutated": 0, "unstable_mutated": 0,
            "dropped_slow": 0, "dropped_examples": [], "unstable_examples": [], "unpicklable": 0, "unloadable": 0, "workload": [],
            "weights": {}}

    seen_kinds = {}   # the kinds of values captured calls pass, per argument (compare.kinds)

    def keep_if_stable(blob, origin, limit, capture_record=None):
        first, took = run_limited(fn, blob, limit)
        if first is None:
            info["dropped_slow"] += 1
            if len(info["dropped_examples"]) < 3:
                info["dropped_examples"].append("%s call %s" % (origin, show_args(blob, method)))
            return
        second, took2 = run_limited(fn, blob, limit)
        stable = second is not None and difference(first, second) is None
        if stable and first.kind == "return" and is_mutable(first.value) and not isinstance(first.value, Consumed):
            first.shared = first.value is second.value
        if stable and capture_record is not None:   # the replay must also agree with what was captured
            stable = capture_record["outcome"] == first.kind and (
                first.kind == "return" or capture_record["exc"] == first.exc[0].rsplit(".", 1)[-1])
        if not stable:
            info["unstable_" + origin] += 1
            if len(info["unstable_examples"]) < 2:
                why = ("the second run did not finish" if second is None else
                       "the replay differs from the capture" if difference(first, second) is None else
                       difference(first, second))
                info["unstable_examples"].append("%s call %s: %s" % (origin, show_args(blob, method), why))
            return
        try:
            outcome_blob = first.dumps()
        except Exception:           # an outcome that cannot be stored cannot judge a candidate
            info["unpicklable"] += 1
            return
        index = len(calls)
        # An input outside the function's contract often fails deep inside it; the
        # message then depends on implementation details, so only its type counts.
        loose = origin in ("generated", "mutated") and first.kind == "raise" and first.exc[0] in ("TypeError", "AttributeError")
        # A generated input on which the original runs out of stack or memory is outside
        # what it can do: whatever a candidate does there (but to hang) is reported, not judged.
        exhausts = origin in ("generated", "mutated") and first.kind == "raise" and first.exc[0] in EXHAUSTION
        # Does the original change its arguments (self included)? Where it does not, the timing
        # worker may reuse one copy of them across a sample's loops (timeit_worker.passes).
        # Compared as the replay does, and as plain pickle's bytes where it can (state an
        # __eq__ leaves out); cloudpickle's bytes of alike copies may differ in memo layout.
        try:
            given = pickle.loads(blob)
            # An iterator argument (map(lambda ...), a generator's copy) is used up by the call;
            # the comparison may not see that (an object without state it can read), and a
            # shared copy would reach the second loop empty.
            args, kwargs = given
            mutates = any(_is_iterator(v) for v in (*args, *kwargs.values())) or difference(
                Outcome("return", after=given), Outcome("return", after=first.after)) is not None
            try:
                mutates = mutates or pickle.dumps(given, protocol=4) != pickle.dumps(first.after, protocol=4)
            except Exception:
                pass
        except Exception:
            mutates = True
        call = {"args": blob, "origin": origin, "loose": loose, "mutates": mutates, "exhausts": exhausts}
        if capture_record is not None and capture_record.get("test"):
            call["test"] = capture_record["test"]    # load_calls finds its test module's folder
        if origin == "captured":
            _merge_kinds(seen_kinds, blob)
        else:
            _mark_foreign(call, first, seen_kinds)
        calls.append(call)
        expected[index] = outcome_blob
        seconds[index] = min(took, took2)
        if origin == "captured":
            info["workload"].append(index)
            info["weights"][index] = int((capture_record or {}).get("weight", 0) or 0)

    loadable = []
    for rec in captured:
        try:   # arguments may refer to classes of a test module importable only under pytest
            pickle.loads(rec["args"])
        except Exception as exc:
            info["unloadable"] += 1
            info.setdefault("unloadable_error", ("%s: %s" % (type(exc).__name__, exc))[:160])
            continue
        loadable.append(rec)
        keep_if_stable(rec["args"], "captured", 600.0, rec)
    slowest = max(seconds.values(), default=0.01)
    limit = min(10.0, max(1.0, 20 * slowest))
    reaches = {}
    info["search"] = search_calls(fn, method, [rec["args"] for rec in loadable], calls, seconds, reaches,
                                  keep_if_stable, limit, float(search_seconds))
    info["generated"] = sum(c["origin"] == "generated" for c in calls)
    info["mutated"] = sum(c["origin"] == "mutated" for c in calls)
    info["coverage"] = reach_summary(fn, calls, seconds, reaches)
    info["search"]["gaps_left"] = len(info["coverage"].get("gaps", []))
    info["stable"] = sorted(expected)
    info["seconds"] = {str(i): s for i, s in seconds.items()}
    _write(calls, all_calls_path, expected, expected_path, info, info_path)


def reach_summary(fn, calls, seconds, known=None):
    """What the kept calls reach of the original: its blocks, branch directions and
    gaps (blockreach.Shape.summary), and per origin how many blocks its calls reach.
    One more traced run of each call not in `known` (index -> its Tracing); {} when
    the source cannot be read."""
    try:
        shape = Shape.of(fn)
    except (OSError, TypeError, SyntaxError):
        return {}
    total, by_origin = None, {}
    for i, call in enumerate(calls):
        reach = (known or {}).get(i)
        if reach is None:
            reach = _traced(fn, call["args"], max(2.0, 50 * seconds.get(i, 0.05)))[1]
        by_origin.setdefault(call["origin"], Tracing(fn)).update(reach)
        if total is None:
            total = reach
        else:
            total.update(reach)
    summary = shape.summary(total or Tracing(fn))
    summary["by_origin"] = {origin: len(shape.reached_blocks(r)) for origin, r in by_origin.items()}
    return summary


def _traced(fn, blob, limit):
    """(outcome or None when cut short, the lines and arcs it reached). Tracing slows the
    call: give a generous limit; a cut-short call still reached what it ran."""
    reach = Tracing(fn)
    with reach:
        outcome, _ = run_limited(fn, blob, limit)
    return outcome, reach


def search_calls(fn, method, seeds, calls, seconds, reaches, keep, limit, budget_s,
                 literals=(), max_new=MAX_NEW_CALLS):
    """New calls for the oracle, within budget_s seconds: first the generated ones
    (inputs.generate_tagged: type hints, captured shapes, edge cases, and the source's
    literals mixed into captured values), then rounds of mutations (inputs.mutants, with
    the dictionary of the source's literals) of the calls that reached something new, until
    no gap of the original is left (blockreach), the budget is spent, STALL_ROUNDS rounds
    reach nothing new, or max_new calls are kept. A call is kept (keep: two agreeing runs
    of the original) when its traced run reaches a line or an arc of the original no kept
    call reached, or, up to SPARE per origin, for diversity. Fills `reaches` (call index ->
    Tracing) and returns what it did, JSON-ready."""
    start = time.monotonic()
    deadline = start + budget_s
    stats = {"budget_s": budget_s, "tried": {"generated": 0, "mutated": 0}, "kept": {"generated": 0, "mutated": 0},
             "new_reach": {"captured": 0, "generated": 0, "mutated": 0}, "rounds": 0, "slow": 0, "outside": 0}
    try:
        shape, total = Shape.of(fn), Tracing(fn)
    except (OSError, TypeError, SyntaxError, AttributeError):
        shape = total = None                        # no source or no code: kept as generated, untraced
    corpus, tried = [], set(seeds)
    for i, call in enumerate(calls):                # the captured calls: what the workload reaches
        if total is not None:
            reaches[i] = _traced(fn, call["args"], max(2.0, min(50 * seconds.get(i, 0.05), budget_s / 2)))[1]
            if reaches[i].lines - total.lines or reaches[i].arcs - total.arcs:
                corpus.append(call["args"])
                stats["new_reach"]["captured"] += 1
            total.update(reaches[i])
    spare = dict(SPARE)

    def attempt(blob, origin):
        """True when the call was kept and reached something new."""
        if spare[origin] <= 0 and not gaps():
            return False            # nothing left to reach, and enough calls kept for diversity
        stats["tried"][origin] += 1
        if not accepts_iterators(fn, blob, limit):
            return False
        new, reach = True, None
        if total is not None:
            outcome, reach = _traced(fn, blob, limit)
            if outcome is None:
                stats["slow"] += 1
                if origin == "mutated":
                    return False
            elif origin == "mutated" and outcome.kind == "raise" and outcome.exc[0] in ("TypeError", "AttributeError"):
                stats["outside"] += 1     # outside the contract: which of the two a rewrite raises is its detail
                return False
            new = bool(reach.lines - total.lines or reach.arcs - total.arcs)
        if not new and spare[origin] <= 0:
            return False
        index = len(calls)
        keep(blob, origin, limit)
        if len(calls) == index:
            return False
        stats["kept"][origin] += 1
        if reach is not None:
            reaches[index] = reach
            total.update(reach)
        if new:
            stats["new_reach"][origin] += 1
        else:
            spare[origin] -= 1
        return new

    known = {}

    def gaps():
        """Whether the kept calls leave a gap of the original (computed once per coverage)."""
        if shape is None:
            return False
        key = (len(total.lines), len(total.arcs))
        if key not in known:
            known.clear()
            known[key] = bool(shape.summary(total)["gaps"])
        return known[key]

    def room():
        return time.monotonic() < deadline and sum(stats["kept"].values()) < max_new

    stopped = "search done"
    for origin, blob in generate_tagged(fn, seeds, method, limit=sum(SPARE.values()) + 80, literals=literals):
        if not room():
            break
        tried.add(blob)
        if attempt(blob, origin):
            corpus.append(blob)
    words, rng, stall = dictionary(fn, literals), random.Random(0), 0
    parents = corpus or list(seeds[:8])
    while True:
        if not room():
            stopped = "budget spent" if time.monotonic() >= deadline else "call limit reached"
            break
        if not gaps():
            stopped = "no gaps left" if shape is not None else "no source to trace"
            break
        if stall >= STALL_ROUNDS or not parents:
            stopped = "%d rounds reached nothing new" % STALL_ROUNDS if parents else "nothing to mutate"
            break
        stats["rounds"] += 1
        found = False
        chosen = parents[-8:] + rng.sample(parents[:-8], min(4, len(parents[:-8])))
        for parent in chosen:                       # the newest finds first, and a few older ones
            for child in mutants(parent, words, rng, method, n=8, fn=fn):
                if child in tried or not room():
                    continue
                tried.add(child)
                if attempt(child, "mutated"):
                    parents.append(child)
                    found = True
        stall = 0 if found else stall + 1
    stats["stopped"] = stopped
    stats["seconds"] = round(time.monotonic() - start, 3)
    stats["words"] = len(words)
    return stats


def record_given(fn, method, captured, given_path, all_calls_path, expected_path, info_path):
    """`record` for the calls of a search (optimizer/verify/search.py). GIVEN_JSON:
    {"calls": [{"origin", "call": literal "((args...), {kwargs})"}], "literals": [literal],
    "limit": seconds per call, "seconds": for all}. The calls were found by a process that
    ran a candidate (or by a model): they are rebuilt with ast.literal_eval only, never
    unpickled. With literals, the mutations of the captured calls that mix them in
    (inputs.generate) are recorded too, as origin "literal". Only these calls are recorded."""
    import ast
    with open(given_path) as fh:
        given = json.load(fh)
    limit, deadline = float(given.get("limit", 2.0)), time.monotonic() + float(given.get("seconds", 20.0))
    info = {"kept": {}, "unparsed": 0, "unstable": 0, "dropped_slow": 0, "origins": []}
    todo = []
    for item in given.get("calls", []):
        try:
            args, kwargs = ast.literal_eval(item["call"])
            assert type(args) is tuple and type(kwargs) is dict and all(type(k) is str for k in kwargs)
            todo.append((str(item["origin"]), pickle.dumps((args, kwargs), protocol=4)))
        except Exception:
            info["unparsed"] += 1
    literals = []
    for text in given.get("literals", []):
        try:
            literals.append(ast.literal_eval(text))
        except Exception:
            info["unparsed"] += 1
    if literals:
        seeds = []
        for rec in captured:
            try:
                pickle.loads(rec["args"])
                seeds.append(rec["args"])
            except Exception:
                continue
        try:
            mixed = generate(fn, seeds, method, literals=tuple(literals))
            plain = set(generate(fn, seeds, method))
        except TypeError:   # an inputs.generate without literals=: each literal in place of each argument of its kind
            mixed, plain = [], set(seeds)
            for blob in seeds[:16]:
                args, kwargs = pickle.loads(blob)
                for i in range(1 if method else 0, len(args)):
                    for value in literals:
                        if _kind(value) == _kind(args[i]):
                            mixed.append(pickle.dumps((args[:i] + (value,) + args[i + 1:], kwargs), protocol=4))
        todo += [("literal", blob) for blob in dict.fromkeys(mixed) if blob not in plain][:120]
    calls, expected, seconds = [], {}, {}
    seen_kinds = {}
    for rec in captured:
        _merge_kinds(seen_kinds, rec["args"])
    for origin, blob in todo:
        if time.monotonic() > deadline:
            break
        first, took = run_limited(fn, blob, limit)
        second, took2 = run_limited(fn, blob, limit) if first is not None else (None, 0)
        if first is None:
            info["dropped_slow"] += 1
            continue
        if second is None or difference(first, second) is not None:
            info["unstable"] += 1
            continue
        if first.kind == "return" and is_mutable(first.value) and not isinstance(first.value, Consumed):
            first.shared = first.value is second.value
        try:
            outcome_blob = first.dumps()
        except Exception:
            info["unstable"] += 1
            continue
        loose = first.kind == "raise" and first.exc[0] in ("TypeError", "AttributeError")
        expected[len(calls)] = outcome_blob
        seconds[len(calls)] = min(took, took2)
        call = {"args": blob, "origin": origin, "loose": loose}
        _mark_foreign(call, first, seen_kinds)
        calls.append(call)
        info["kept"][origin] = info["kept"].get(origin, 0) + 1
        info["origins"].append(origin)
    info["seconds"] = {str(i): s for i, s in seconds.items()}
    _write(calls, all_calls_path, expected, expected_path, info, info_path)


def _write(calls, all_calls_path, expected, expected_path, info, info_path):
    with open(all_calls_path, "wb") as fh:
        pickle.dump(calls, fh, protocol=4)
    with open(expected_path, "wb") as fh:
        pickle.dump(expected, fh, protocol=4)
    with open(info_path, "w") as fh:
        json.dump(info, fh)


def _mark_foreign(call, first, seen_kinds):
    """A call passing kinds of values no captured call passes: marked "foreign". The
    original's refusal of it (any of REFUSALS) is then loose: which refusal, and its
    message, is the implementation's detail (a record missing two keys)."""
    if _is_foreign(call["args"], seen_kinds):
        call["foreign"] = True
        call["loose"] = call["loose"] or (first.kind == "raise" and first.exc[0] in REFUSALS)


def _merge_kinds(seen, blob):
    try:
        args, kwargs = pickle.loads(blob)
    except Exception:
        return
    for where, kinds in call_kinds(args, kwargs).items():
        seen.setdefault(where, set()).update(kinds)


def _is_foreign(blob, seen):
    """Does this call pass kinds of values (types, nestings) no captured call passed there?
    Such a call still judges a candidate, except that refusing it (compare.narrows) is
    reported instead of rejected."""
    try:
        args, kwargs = pickle.loads(blob)
        return foreign_kinds(call_kinds(args, kwargs), seen)
    except Exception:
        return False


def _kind(value):
    return "number" if type(value) in (int, float) else type(value).__name__


def check(module, qualname, all_calls_path, expected_path, verdict_path, options_path):
    seal = sys.stdin.readline().strip()   # before the candidate's module is imported (runs.new_seal)
    with open(options_path) as fh:
        options = json.load(fh)
    fn = load_function(module, qualname)
    method = is_method(fn, qualname)
    calls = load_calls(all_calls_path)
    with open(expected_path, "rb") as fh:
        expected = pickle.load(fh)
    seconds = {int(k): v for k, v in options.get("seconds", {}).items()}
    verdict = {"ok": True, "checked": 0, "by_origin": {}}
    shared_checks = 0
    for i, blob in sorted(expected.items()):
        want = Outcome.loads(blob)
        call = calls[i]
        origin = str(call.get("origin", "captured"))
        verdict["by_origin"][origin] = verdict["by_origin"].get(origin, 0) + 1
        limit = max(1.0, 20 * seconds.get(i, 0.05))
        got, _ = run_limited(fn, call["args"], limit)
        if got is not None and want.shared is not None and shared_checks < 5:
            shared_checks += 1     # a cache returning one object to every caller shows on a repeat
            again, _ = run_limited(fn, call["args"], limit)
            got.shared = again is not None and got.kind == "return" and again.value is got.value
        verdict["checked"] += 1
        label = "%s call #%d %s" % (call["origin"], i, show_args(call["args"], method))
        if call.get("exhausts") and not (got is not None and got.kind == "raise" and got.exc[0] == want.exc[0]):
            verdict["out_of_contract"] = verdict.get("out_of_contract", 0) + 1
            did = ("runs over %.1fs" % limit if got is None else "raises %s" % got.exc[0] if got.kind == "raise"
                   else "returns %s" % short(got.value, 60))
            verdict.setdefault("out_of_contract_example", "%s on %s, where the original raises %s"
                               % (did, label, want.exc[0]))
            verdict["by_origin"][origin] -= 1   # not compared: not among "the same outcome on ..."
            continue
        if got is None:
            verdict = {"ok": False, "call": i, "reason": "too slow on %s: over %.1fs, the original takes %.3fs"
                       % (label, limit, seconds.get(i, 0.0))}
            break
        outside = call.get("loose", False)
        if call.get("foreign") and narrows(want, got):
            verdict["narrowed"] = verdict.get("narrowed", 0) + 1
            verdict.setdefault("narrowed_example", "raises %s: %s on %s, where the original returns %s"
                               % (got.exc[0], got.exc[1], label, short(want.value, 80)))
            continue
        found = difference(want, got, options.get("rtol", 0.0), options.get("loose_errors", False) or outside,
                           method, outside_contract=outside)
        if found:
            what, exp, act = found
            verdict = {"ok": False, "call": i, "reason": "%s on %s: expected %s, got %s" % (what, label, exp, act)}
            break
    if verdict["ok"]:
        verdict["reach"] = candidate_reach(fn, calls, sorted(expected), seconds,
                                           float(options.get("reach_seconds", 30.0)))
    verdict["seal"] = seal
    with open(verdict_path, "w") as fh:
        _dump(verdict, fh)


MAX_REACH_LINES = 5000


def candidate_reach(fn, calls, indices, seconds, budget):
    """One more run of every compared call with the candidate traced (blockreach.Tracing):
    {"lines": the line numbers of its file it executed, "complete": every call ran}.
    None when it cannot be traced. The equivalence verdict is already decided: nothing
    here changes it. The host (optimizer/verify/evidence.py) only uses these lines to
    require that the candidate's new lines ran; they come from the candidate's process,
    so a cheater could forge them, which could loosen that one extra check and nothing else."""
    try:
        reach = Tracing(fn)
        deadline = time.monotonic() + budget
        complete = True
        for i in indices:
            left = deadline - time.monotonic()
            if left <= 0:
                complete = False
                break
            with reach:   # tracing slows a call some 50-fold; a cut-short call still reached what it ran
                got, _ = run_limited(fn, calls[i]["args"], min(left, max(2.0, 50 * seconds.get(i, 0.05))))
            complete = complete and got is not None
        return {"lines": sorted(reach.lines)[:MAX_REACH_LINES], "complete": complete}
    except Exception:
        return None


def show_args(blob, method=False):
    args, kwargs = pickle.loads(blob)
    if method:
        args = args[1:]
    parts = [short(a, 60) for a in args] + ["%s=%s" % (k, short(v, 60)) for k, v in kwargs.items()]
    text = "(" + ", ".join(parts) + ")"
    return text if len(text) <= 200 else text[:197] + "…)"


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    mode, *rest = sys.argv[1:]
    {"record": record, "check": check}[mode](*rest)
