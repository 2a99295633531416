"""Generated calls: edge cases shaped like the captured arguments, and draws from
the signature's type hints (hypothesis). The original's behaviour on each is the
oracle, so a generated call needs no expected value, only to be replayable.
Standalone: runs inside the sandbox with the original code."""
import inspect
import pickle
import random
import typing


def generate(fn, captured_blobs, is_method, limit=120, seed=0):
    """Pickled (args, kwargs) blobs of new calls, deduplicated against the captured ones."""
    rng = random.Random(seed)
    seen, out = set(captured_blobs), []

    def add(args, kwargs):
        try:
            blob = pickle.dumps((tuple(args), dict(kwargs)), protocol=4)
        except Exception:
            return
        if blob not in seen:
            seen.add(blob)
            out.append(blob)

    for args, kwargs in from_hints(fn, captured_blobs, is_method, examples=12):
        add(args, kwargs)
    for blob in captured_blobs[:16]:
        args, kwargs = pickle.loads(blob)
        for i in range(1 if is_method else 0, len(args)):
            for v in variants(args[i], rng):
                add(args[:i] + (v,) + args[i + 1:], kwargs)
        for key in kwargs:
            for v in variants(kwargs[key], rng):
                add(args, {**kwargs, key: v})
        if len(out) >= limit:
            break
    return out[:limit]


def variants(value, rng):
    """Edge cases of the same type: empty, single, reversed, shuffled, duplicated,
    zero and negative numbers, unicode strings."""
    t = type(value)
    if t is bool:
        return [not value]
    if t is int:
        return [0, 1, -1, -value, value + 1]
    if t is float:
        return [0.0, -0.0, -value, value / 3, 0.1]
    if t is str:
        return ["", value[:1], value[::-1], value + value, "é" + value, "日本語 ✓"]
    if t is bytes:
        return [b"", value[:1], value[::-1], value + value]
    if t in (list, tuple):
        items = list(value)
        shuffled = items[:]
        rng.shuffle(shuffled)
        out = [[], items[:1], items[::-1], shuffled, items + items, items[:1] * 3]
        numbers = items and all(type(x) in (int, float) for x in items)
        if numbers:
            # zeros, and opposites that sum to zero: the paths of divisions and empty totals
            out += [[-x for x in items], [x * 0 for x in items], items + [-x for x in items]]
        if items and all(type(x) is float for x in items):
            out.append([x / 3 for x in items])
        if len(items) > 1 and all(type(x) is tuple and len(x) > 1 for x in items):
            out.append([(x[0], items[0][1]) + x[2:] for x in items])     # ties on the second field
        variants_ = [t(x) for x in out]
        if t is list and items:
            variants_.append(iter(items))    # a one-shot iterable where a sequence was passed
        return variants_
    if t is dict:
        items = list(value.items())
        out = [{}, dict(items[:1]), dict(items[::-1])]
        if len(items) > 1:
            out.append({k: items[0][1] for k, _ in items})    # ties: every value the same,
            out.append({k: items[0][1] for k, _ in items[::-1]})   # in both key orders
        return out
    if t in (set, frozenset):
        return [t(), t(list(value)[:1])]
    return []


def from_hints(fn, captured_blobs, is_method, examples=12):
    """Calls drawn with hypothesis from the annotations; a parameter without one takes
    the values seen in captured calls. Deterministic (derandomized); [] when unsupported."""
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
    except Exception:
        return []
    params = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if is_method:
        params = params[1:]
    if not any(p.name in hints for p in params):
        return []
    seen_values = {p.name: [] for p in params}
    first_self = None
    for blob in captured_blobs[:16]:
        args, kwargs = pickle.loads(blob)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            continue
        if is_method and first_self is None:
            first_self = blob
        for p in params:
            if p.name in bound.arguments:
                seen_values[p.name].append(bound.arguments[p.name])
    strategies = []
    for p in params:
        if p.name in hints:
            strategies.append(st.from_type(hints[p.name]))
        elif seen_values[p.name]:
            strategies.append(st.sampled_from(seen_values[p.name]))
        elif p.default is not p.empty:
            strategies.append(st.just(p.default))
        else:
            return []
    if is_method and first_self is None:
        return []
    drawn = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*strategies))
    def collect(values):
        drawn.append(values)

    try:
        collect()
    except Exception:
        pass
    calls = []
    for values in drawn:
        prefix = (pickle.loads(first_self)[0][0],) if is_method else ()
        calls.append((prefix + tuple(values), {}))
    return calls
