"""Inputs that reach the original's paths (issue #12): the mutation dictionary, the
mutations by type, and the coverage-guided search of replay.record, through the sandbox."""
import json
import math
import pickle
import random
import sys
import textwrap
from pathlib import Path

import pytest

BOOTSTRAP = Path(__file__).resolve().parent.parent / "optimizer" / "verify" / "bootstrap"
sys.path.insert(0, str(BOOTSTRAP))
import inputs  # noqa: E402

sys.path.remove(str(BOOTSTRAP))

from optimizer.target import index_repo  # noqa: E402
from optimizer.verify import capture  # noqa: E402
from optimizer.verify.equivalence import record_expected  # noqa: E402
from optimizer.workspace import Workspace  # noqa: E402
from repos import make_repo, recorded_repo, replay_only  # noqa: E402
from sandboxes import get_sandbox  # noqa: E402

CLASSIFY = '''
import math

SPECIAL = ("NaN", "nan")


def _is_hex(s):
    return s[:2] in ("0x", "0X")


def classify(s):
    """Classify a token."""
    if _is_hex(s):
        return "hex"
    if s in SPECIAL:
        return "nan"
    if len(s) > 3:
        return math.inf
    return "short"
'''


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    """CLASSIFY imported from a real file (inspect.getsource needs one)."""
    folder = tmp_path_factory.mktemp("mod")
    (folder / "cls_mod.py").write_text(CLASSIFY)
    sys.path.insert(0, str(folder))
    try:
        import cls_mod
        yield cls_mod
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("cls_mod", None)


def blob(*args, **kwargs):
    return pickle.dumps((args, kwargs), protocol=4)


# --- the dictionary -----------------------------------------------------------------

def test_dictionary_takes_literals_of_the_function_its_helpers_and_constants(module):
    words = inputs.dictionary(module.classify)
    assert {"NaN", "nan", "0x", "0X", "hex", "short"} <= set(words.strings)
    assert "Classify a token." not in words.strings          # docstrings are not special cases
    assert 3 in words.numbers and math.inf in words.numbers   # len(s) > 3, math.inf


def test_dictionary_puts_given_literals_first_and_is_bounded(module):
    words = inputs.dictionary(module.classify, literals=("xyzzy", 1001, b"\x00"))
    assert words.strings[0] == "xyzzy" and words.numbers[0] == 1001 and words.bytes == [b"\x00"]
    big = inputs.Words()
    for i in range(500):
        big.add("w%d" % i)
    assert len(big) == inputs.MAX_WORDS


def test_dictionary_takes_no_value_for_names_the_module_lacks():
    words = inputs.dictionary(test_dictionary_takes_no_value_for_names_the_module_lacks)
    assert words.specials == []     # `inputs`, `words` and attribute names are no constants


def test_dictionary_without_source_is_empty_not_an_error():
    words = inputs.dictionary(len, literals=("a",))
    assert words.strings == ["a"] and len(words) == 1


def test_dictionary_keeps_special_values():
    words = inputs.Words()
    for v in (None, True, float("nan"), float("nan"), 1, 1.0, True):
        words.add(v)
    assert words.specials[0] is None and words.specials[1] is True and math.isnan(words.specials[2])
    assert len(words.specials) == 3 and words.numbers == [1, 1.0]    # int and float kept apart


# --- mutations by type ---------------------------------------------------------------

def _words(*values):
    words = inputs.Words()
    for v in values:
        words.add(v)
    return words


def test_string_mutations():
    out = inputs.mutations("ab", _words("0x", 3), random.Random(0))
    for expected in ("0x", "0xab", "ab0x", "a0xb",                       # the literal, in and around
                     "+ab", "-ab", "AB", "Ab", " ab ", "\tab", "ab\n",    # signs, case, whitespace
                     "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-0", "0.0", "1_000", "0x1f",
                     "a,b", "a.b", "a-b", "a_b", "a/b", "a b", ",",       # separators
                     "٣", "²", "①", "Ⅻ", "１２", "",                      # unicode digits, empty
                     "aba", "abab"):                                      # around len(s) > 3
        assert expected in out, expected
    assert "ab" not in out


def test_number_mutations():
    ints = inputs.mutations(5, _words(100), random.Random(0))
    for expected in (0, 1, -1, -5, 4, 6, 2 ** 63 - 1, 99, 100, 101):
        assert expected in ints
    assert any(v is True for v in ints) and not any(type(v) is float for v in ints)   # bool where an int is
    floats = inputs.mutations(2.5, _words(), random.Random(0))
    assert any(math.isnan(v) for v in floats) and math.inf in floats and -math.inf in floats
    assert 1e308 in floats and any(v == 0 and math.copysign(1, v) < 0 for v in floats)


def test_special_values_of_the_source_replace_any_argument():
    assert None in inputs.mutations("x", _words(None), random.Random(0))
    assert None in inputs.mutations(3, _words(None), random.Random(0))


def test_container_mutations_mix_types_nest_duplicate_and_mutate_items():
    out = inputs.mutations(["a", "b"], _words("0x"), random.Random(1))
    assert [] in out and ["a", "b", "a"] in out and [["a", "b"]] in out
    assert ["a", "b", None] in out and ["a", "b", 1.5] in out
    assert any(v[:1] != ["a"] or v[1:2] != ["b"] for v in out if len(v) == 2 and v != ["b", "a"])  # an item mutated
    d = inputs.mutations({"k": 1}, _words(), random.Random(0))
    assert {} in d and any(v.get("k") not in (1, None) for v in d if "k" in v)


def test_type_objects_get_other_types():
    out = inputs.mutations(int, _words(), random.Random(0))
    assert int not in out and {float, str, bytes, list, tuple, dict, set, bool, type(None), object} <= set(out)
    assert list in inputs.variants(int, random.Random(0)) and int not in inputs.variants(int, random.Random(0))


def test_callables_get_other_callables():
    out = inputs.mutations(len, _words(), random.Random(0))
    assert len not in out and str in out and abs in out


def test_generate_passes_other_types_to_a_type_parameter_left_at_its_default():
    def zero(kind=int):
        return kind()
    calls = [pickle.loads(b) for b in inputs.generate(zero, [blob()], False)]
    kinds = {c[1].get("kind", c[0][0] if c[0] else None) for c in calls}
    assert {float, str, list, dict, bool} <= kinds


def test_generate_interleaves_generated_and_mutated_and_is_deterministic(module):
    seeds = [blob("ab"), blob("hello")]
    tagged = inputs.generate_tagged(module.classify, seeds, False, limit=40)
    assert tagged == inputs.generate_tagged(module.classify, seeds, False, limit=40)
    origins = [o for o, _ in tagged]
    assert len(tagged) == 40 and origins[:4] == ["generated", "mutated"] * 2
    args = [pickle.loads(b)[0][0] for _, b in tagged]
    assert "0xab" in args or "0x" in args          # the source's literal reaches the first round
    assert not set(seeds) & {b for _, b in tagged}


def test_generate_with_literals_adds_their_mutations(module):
    seeds = [blob("ab")]
    plain = set(inputs.generate(module.classify, seeds, False))
    mixed = inputs.generate(module.classify, seeds, False, literals=("xyzzy",))
    assert any("xyzzy" in pickle.loads(b)[0][0] for b in mixed if b not in plain)


def test_captured_shapes_give_hypothesis_strategies():
    def f(xs, table, pair):
        return xs
    seeds = [blob([1, 2, 3], {"a": 1}, (1, "x")), blob([4], {"b": 2}, (2, "y"))]
    drawn = inputs.from_hints(f, seeds, False, examples=12)
    assert drawn == inputs.from_hints(f, seeds, False, examples=12)         # derandomized
    assert len(drawn) >= 6
    for (xs, table, pair), _ in drawn:
        assert type(xs) is list and all(type(x) is int for x in xs)
        assert type(table) is dict and all(type(k) is str and type(v) is int for k, v in table.items())
        assert type(pair) is tuple and len(pair) == 2 and type(pair[0]) is int and type(pair[1]) is str
    assert len({pickle.dumps(d) for d in drawn}) > 3


def test_mutants_are_bounded_distinct_and_deterministic(module):
    words = inputs.dictionary(module.classify)
    a = inputs.mutants(blob("abc"), words, random.Random(3), False, n=8)
    assert a == inputs.mutants(blob("abc"), words, random.Random(3), False, n=8)
    assert 0 < len(a) <= 8 and len(set(a)) == len(a) and blob("abc") not in a
    big = blob("x" * (inputs.MAX_BLOB + 10))
    assert all(len(b) <= inputs.MAX_BLOB for b in inputs.mutants(big, words, random.Random(0), False))


def test_mutants_of_a_method_leave_self_alone():
    class Box:
        def get(self, key, default=None):
            return key
    seed = pickle.dumps(((7, "k"), {}), protocol=4)       # self stands as 7 here
    for b in inputs.mutants(seed, _words("z"), random.Random(0), True, n=12, fn=Box.get):
        args, kwargs = pickle.loads(b)
        assert args[0] == 7


# --- through the sandbox: record + check ----------------------------------------------

REPO = {
    "lib/__init__.py": "",
    "lib/tokens.py": CLASSIFY + '''

def zero(kind=int):
    return kind()


def describe(kind, value):
    if kind is str:
        return "text:" + str(value)
    if issubclass(kind, (int, float)):
        return kind(value) * 2
    return repr(value)
''',
    "tests/test_tokens.py": '''
        from lib.tokens import classify, describe, zero


        def test_classify():
            assert classify("ab") == "short"
            assert classify("hello") == float("inf")


        def test_zero():
            assert zero() == 0


        def test_describe():
            assert describe(int, "3") == 6
    ''',
}

WRONG = {   # each drops a case no test and no captured call reaches
    "classify": "def classify(s):\n    if _is_hex(s):\n        return 'hex'\n    if len(s) > 3:\n"
                "        return math.inf\n    return 'short'\n",
    "zero": "def zero(kind=int):\n    return 0\n",
    "describe": "def describe(kind, value):\n    if kind is str:\n        return 'text:' + str(value)\n"
                "    return int(value) * 2\n",
}
RIGHT = {
    "classify": "def classify(s):\n    if s[:2] in ('0x', '0X'):\n        return 'hex'\n    if s in SPECIAL:\n"
                "        return 'nan'\n    return math.inf if len(s) > 3 else 'short'\n",
    "zero": "def zero(kind=int):\n    return kind()\n",
}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    names = ["lib.tokens.classify", "lib.tokens.zero", "lib.tokens.describe"]
    with recorded_repo(tmp_path_factory.mktemp("inp") / "r", REPO, git=False, names=names, timeout=120) as \
            (ws, sandbox, index, baselines, _, _):
        infos = {name: json.loads((ws.scratch("run") / f"calls-{name}.json").read_text()) for name in names}
        yield ws, sandbox, baselines, infos, index


def _check(recorded, name, source):
    ws, sandbox, baselines, _, index = recorded
    return replay_only(ws, sandbox, index, baselines, name, source)


@pytest.mark.slow
def test_search_reaches_the_special_case_and_records_what_it_did(recorded):
    info = recorded[3]["lib.tokens.classify"]
    assert info["coverage"]["gaps"] == [] and info["search"]["gaps_left"] == 0
    assert info["mutated"] > 0 and info["generated"] > 0 and info["captured"] == 2
    search = info["search"]
    assert search["stopped"] in ("no gaps left", "search done") and search["seconds"] < 20
    assert search["new_reach"]["mutated"] + search["new_reach"]["generated"] >= 1
    assert set(search) >= {"budget_s", "tried", "kept", "new_reach", "rounds", "seconds", "gaps_left"}


@pytest.mark.slow
def test_a_candidate_dropping_a_special_case_is_rejected(recorded):
    v = _check(recorded, "classify", WRONG["classify"])
    assert not v.ok and ("NaN" in v.reason or "nan" in v.reason), v.reason
    assert _check(recorded, "classify", RIGHT["classify"]).ok


@pytest.mark.slow
def test_type_arguments_get_calls_and_a_wrong_candidate_is_caught(recorded):
    info = recorded[3]["lib.tokens.zero"]
    assert info["generated"] + info["mutated"] >= 5
    v = _check(recorded, "zero", WRONG["zero"])
    assert not v.ok and "<class " in v.reason, v.reason
    assert _check(recorded, "zero", RIGHT["zero"]).ok
    v = _check(recorded, "describe", WRONG["describe"])
    assert not v.ok, v.reason


@pytest.mark.slow
def test_the_search_keeps_to_its_budget_on_hard_cases(tmp_path):
    files = {
        "m.py": textwrap.dedent('''
            import random
            import time


            def hard(s, n=1):
                if sum(map(ord, s)) == 1234567:   # no mutation guesses such a string
                    return "door"
                if n > 10 ** 6:
                    time.sleep(30)             # a call that hangs: cut by the per-call limit
                if s.startswith("p"):
                    print("x" * 100000)         # a call that prints a lot
                return [s] * min(n, 3)


            def gen(xs):
                for x in xs:
                    if x is None:
                        yield "none"
                    else:
                        yield x


            def noisy(s):
                return s + str(random.random())
        '''),
        "tests/test_m.py": "from m import gen, hard, noisy\n\n\ndef test_hard():\n    assert hard('abc') == ['abc']\n"
                           "    assert list(gen([1, 2])) == [1, 2]\n    assert noisy('a')\n",
    }
    repo = make_repo(tmp_path / "r", files, git=False)
    ws = Workspace(repo)
    sandbox = get_sandbox()[0]
    try:
        baselines, _ = capture(sandbox, ws.base, ws.scratch("run"), index_repo(repo), bench=None)
        infos = {}
        for name in ("m.hard", "m.gen", "m.noisy"):
            notes = record_expected(sandbox, ws.base, ws.scratch("run"), baselines[name], 120)
            infos[name] = json.loads((ws.scratch("run") / f"calls-{name}.json").read_text()), notes
    finally:
        ws.close()
    hard = infos["m.hard"][0]
    assert hard["search"]["seconds"] < 20 + 12        # the budget, and at most one cut-short call past it
    assert "never ran" in " ".join(hard["coverage"]["gaps"])   # the checksum case stays a gap, and says so
    assert hard["search"]["stopped"] in ("budget spent", "8 rounds reached nothing new")
    assert hard["generated"] + hard["mutated"] <= 400
    gen = infos["m.gen"][0]
    assert gen["coverage"]["gaps"] == [] and gen["mutated"] + gen["generated"] > 0   # None reached in a list
    noisy, notes = infos["m.noisy"]
    assert noisy["workload"] == [] and noisy["unstable_captured"] == 1 and "non-deterministic" in notes[0]


@pytest.mark.slow   # real capture, replay or profile
def test_a_call_with_thousands_of_star_arguments_is_varied_in_a_few_slots_only():
    """toolz.merge_with(sum, *200_000_dicts): a variant per argument slot copied the whole
    argument tuple for each, and the search ran out of memory (found on toolz, issue #18)."""
    def merge_with(func, *dicts):
        return dicts

    many = pickle.dumps(((sum, *({i: i} for i in range(20_000))), {}), protocol=4)
    small = pickle.dumps(((sum, {1: 1}, {2: 2}), {}), protocol=4)
    huge = b"x" * (inputs.MAX_BLOB * 16 + 1)                 # over the size of a new call: its variants would be too
    assert inputs._seeds([huge, small]) == [small]          # not varied when smaller calls exist
    assert inputs._seeds([huge]) == [huge]                   # but when it is all there is
    where = [(i, None) for i in range(20_001)]
    assert inputs._some(where) == where[:12] + where[-4:]
    out = inputs.generate_tagged(merge_with, [many], False, limit=50)
    assert out and all(len(blob) <= inputs.MAX_BLOB * 16 for _, blob in out)


def test_a_generated_call_that_would_not_load_back_is_not_proposed():
    """cloudpickle pickles a type it cannot name by value (a tuple_iterator's type, passed
    where a callable was captured); loading it fails, and it used to stop the whole
    replay with "cannot set '__doc__' attribute of immutable type" (found on toolz)."""
    unnamed = type(iter(()))
    assert inputs._dumps(((unnamed,), {}))                   # it pickles...
    with pytest.raises(TypeError):
        pickle.loads(inputs._dumps(((unnamed,), {})))       # ...but does not load back
    assert inputs._storable(((unnamed,), {})) is None
    assert pickle.loads(inputs._storable(((len,), {}))) == ((len,), {})
