"""The capability check as an allow-list (issue #11): it accepts every rewrite the offline
pattern catalog makes and every bundled example pair, refuses each route that beat the old
deny-list, and never crashes on odd but parsable code."""
from __future__ import annotations

import ast
import random
import textwrap
import tomllib
from pathlib import Path

import pytest

from optimizer.propose.base import ProposalContext
from optimizer.propose.patterns import CATALOG, PatternProposer
from optimizer.target import replace_definition, targets_in_file
from sandboxes.capability import CAPABILITIES, check, describe
from test_capability import ORIGINAL, candidate

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- what it must accept
def _pattern_inputs() -> list[tuple[str, str]]:
    """(where, file text): every definition the pattern tests feed the catalog (each string
    constant in tests/test_patterns*.py that parses and defines something), and the case
    studies' modules."""
    found = []
    for path in sorted((ROOT / "tests").glob("test_patterns*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "def " in node.value:
                text = textwrap.dedent(node.value).lstrip("\n")
                try:
                    body = ast.parse(text).body
                except SyntaxError:
                    continue
                if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in body):
                    found.append((f"{path.name}:{node.lineno}", text))
    for path in sorted((ROOT / "case_studies").glob("*/*/*.py")):
        found.append((str(path.relative_to(ROOT)), path.read_text()))
    return found


@pytest.mark.slow   # every pattern of the catalog on every example file: seconds
def test_every_rewrite_of_the_pattern_catalog_is_accepted(tmp_path):
    applied: set[str] = set()
    rewrites = 0
    for where, text in _pattern_inputs():
        (tmp_path / "m.py").write_text(text)
        for target in targets_in_file(tmp_path, "m.py"):
            # 3.10: every pattern is offered there (hoist-bound-method stops paying at 3.11)
            for cand in PatternProposer().propose(target, ProposalContext(module_source=text, python_version="3.10"), k=1):
                rewritten = replace_definition(text, target, cand.source, cand.imports)
                findings = check(text, rewritten, own_packages=frozenset({"m"}))
                assert findings == [], (where, target.qualname, cand.origin, describe(findings))
                applied.update(cand.origin.split(":", 1)[1].split("+"))
                rewrites += 1
    assert rewrites > 50
    assert applied == {p.id for p in CATALOG}   # every pattern was exercised


PAIRS = tomllib.loads((ROOT / "prompts" / "examples" / "pairs.toml").read_text(encoding="utf-8"))["pair"]


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_every_bundled_example_pair_is_accepted(pair):
    findings = check(pair["slow"], pair["fast"])
    assert findings == [], describe(findings)




def test_pure_modules_decorated_caches_and_constant_attrgetters_are_accepted():
    text = textwrap.dedent("""\
        import functools
        import operator
        from collections import Counter, abc, defaultdict
        from collections.abc import Mapping
        from dataclasses import dataclass, field
        from functools import cache, cached_property, lru_cache, reduce
        from itertools import accumulate, chain, groupby
        from operator import attrgetter, itemgetter, methodcaller
        from typing import Iterable, Optional


        @dataclass(frozen=True)
        class Row:
            name: str
            tags: tuple = field(default=())

            @cached_property
            def size(self) -> int:
                return len(self.tags)

            def __lt__(self, other):
                return self.name < other.name


        def total(xs: Iterable[int], key: Optional[str] = None):
            @functools.lru_cache(maxsize=None)
            def square(v):
                return v * v

            @lru_cache
            def cube(v):
                return v ** 3

            @cache
            def half(v):
                return v // 2

            by_name = sorted(xs, key=attrgetter("name", "tags.count")) if key else list(xs)
            lower = list(map(methodcaller("lower"), map(str, by_name)))
            counts = Counter(chain.from_iterable([lower]))
            sizes = defaultdict(int, {k: len(list(g)) for k, g in groupby(sorted(counts))})
            ok = isinstance(sizes, Mapping) and isinstance(sizes, abc.Sized)
            first = "{0.__class__.__name__}: {1}".format(xs, getattr(xs, "count", None))
            return (reduce(operator.add, accumulate(map(square, range(3))), 0) + cube(1) + half(2)
                    + ok + len(first) + sum(map(itemgetter(0), [(1,)])) + hash(tuple(xs)))
        """)
    findings = check(ORIGINAL, text)
    assert findings == [], describe(findings)


def test_the_users_own_packages_and_relative_imports_are_accepted():
    text = "from mypkg.util import helper\nfrom .sibling import other\n\n\ndef total(xs):\n" \
           "    return helper(xs) + other(xs)\n"
    assert check(ORIGINAL, text, own_packages=frozenset({"mypkg"})) == []
    assert [(f.capability, f.what) for f in check(ORIGINAL, text)] == [("unlisted module", "mypkg.util.helper")]
    # ...but not a dangerous module reached through them
    text = "import mypkg.util\n\n\ndef total(xs):\n    return mypkg.util.os.system('ls')\n"
    assert [(f.capability, f.what) for f in check(ORIGINAL, text, own_packages=frozenset({"mypkg"}))] == \
        [("operating system", "mypkg.util.os.system")]


def test_a_third_party_module_the_original_imports_is_trusted_for_its_public_names():
    original = "import numpy as np\n\n\ndef total(xs):\n    return np.sum(xs)\n"
    text = "import numpy as np\nfrom numpy.linalg import norm\n\n\ndef total(xs):\n" \
           "    a = np.asarray(xs)\n    return np.einsum('i->', a) + norm(a) * 0\n"
    assert check(original, text) == []
    assert [(f.capability, f.what) for f in check(original, "import numpy\nnumpy._core.x\n")] == \
        [("unlisted member", "numpy._core.x")]
    assert [(f.capability, f.what) for f in check(ORIGINAL, text)] == \
        [("unlisted module", "numpy"), ("unlisted module", "numpy.linalg.norm"),
         ("unlisted module", "numpy.asarray"), ("unlisted module", "numpy.einsum")]


def test_what_the_original_uses_itself_is_accepted():
    original = textwrap.dedent("""\
        import sys
        import time


        def total(xs):
            frame = sys._getframe()
            start = time.perf_counter()
            if __name__ == "__main__" and frame.f_back:
                return vars(frame)
            return sum(xs) + start * 0
        """)
    text = original.replace("sum(xs)", "sum(x for x in xs if x)").replace("frame.f_back", "frame.f_back.f_back")
    assert check(original, text) == []


# ---------------------------------------------------------------- what it must refuse
def _file(body: str, header: str = "import os\n") -> str:
    """test_capability's rewritten `total`, one blank line lower (its body starts on line 5)."""
    return candidate(body, header + "\n")


ROUTES = [
    # walking from an exception to the judge's globals through match class patterns
    ("match-tb-frame", _file("""\
        try:
            1 / 0
        except ZeroDivisionError as e:
            match e:
                case object(__traceback__=object(tb_frame=f)):
                    return f
        """), "tb_frame in a match pattern"),
    ("match-f-back", _file("""\
        match xs:
            case object(f_back=object(f_globals=g)):
                return g
        """), "f_back in a match pattern"),
    ("posix", _file("return posix.system('ls')\n", "import posix\n"), "posix"),
    ("_socket", _file("return _socket.socket()\n", "import _socket\n"), "network (_socket"),
    ("os.path.os", _file("return os.path.os.system('ls')\n"), "os.path.os"),
    ("loader-get-data", _file("return __loader__.get_data('/etc/passwd')\n"), "__loader__"),
    ("loader-set-data", _file("return __loader__.set_data('x', b'')\n"), "__loader__"),
    ("io.FileIO", _file("return io.FileIO('x', 'w')\n", "import io\n"), "io.FileIO"),
    ("codecs.open", _file("return codecs.open('x')\n", "import codecs\n"), "codecs.open"),
    ("logging.FileHandler", _file("return logging.FileHandler('x')\n", "import logging\n"),
     "logging.FileHandler"),
    ("getattr-as-value", _file("return [getattr][0](xs, 'count')\n"), "getattr (as a value)"),
    ("getattr-assigned", _file("g = getattr\nreturn g(xs, 'count')\n"), "getattr (as a value)"),
    ("getattr-passed", _file("return list(map(getattr, [xs], ['count']))\n"), "getattr (as a value)"),
    ("attrgetter-computed", _file("return operator.attrgetter(xs[0])(xs)\n", "import operator\n"),
     "operator.attrgetter with a computed name"),
    ("attrgetter-dunder", _file("return attrgetter('__init__.__globals__')(xs)\n",
                                "from operator import attrgetter\n"), "__globals__ in operator.attrgetter"),
    ("attrgetter-frame", _file("return attrgetter('gi_frame.f_back')(xs)\n",
                               "from operator import attrgetter\n"), "gi_frame in operator.attrgetter"),
    ("methodcaller-computed", _file("return operator.methodcaller(xs[0])(xs)\n", "import operator\n"),
     "operator.methodcaller with a computed name"),
    ("time-dict", _file("time.__dict__['perf_counter'] = len\nreturn 0\n", "import time\n"),
     "time.perf_counter (assigned)"),
    ("traceback", _file("""\
        try:
            1 / 0
        except ZeroDivisionError as e:
            return e.__traceback__
        """), "__traceback__"),
    ("format-field", _file("return '{0.__init__.__globals__}'.format(xs)\n"), "__globals__ in a format string"),
    ("format-frame-field", _file("return '{x.f_back}'.format_map({'x': xs})\n"), "f_back in a format string"),
    ("format-computed", _file("return xs[0].format(xs)\n"), "format with a computed format string"),
    ("str-format", _file("return str.format(xs[0], xs)\n"), "format with a computed format string"),
    ("import-main", _file("import __main__\nreturn __main__\n"), "harness probing (__main__"),
    ("file", _file("return len(__file__)\n"), "harness probing (__file__"),
    ("sys.argv", _file("return sys.argv\n", "import sys\n"), "sys.argv"),
    ("sys.flags", _file("return sys.flags.optimize\n", "import sys\n"), "harness probing (sys.flags"),
    ("os.getcwd", _file("return os.getcwd()\n"), "harness probing (os.getcwd"),
    ("hash-literal", _file("return hash('abc') == 123\n"), "harness probing (hash of a constant"),
    ("hash-literal-method", _file("return 'abc'.__hash__() == 123\n"), "hash of a constant"),
    ("environ", _file("return os.environ['HOME']\n"), "os.environ"),
    ("getenv", _file("return os.getenv('HOME')\n"), "os.getenv"),
    ("expanduser", _file("return os.path.expanduser('~')\n"), "harness probing (os.path.expanduser"),
    ("cache-in-default", _file("""\
        def inner(x, _memo=functools.lru_cache(maxsize=None)(abs)):
            return _memo(x)
        return inner(1)
        """, "import functools\n"), "hidden cache (functools.lru_cache"),
    ("cache-renamed", _file("memo = lru_cache(maxsize=None)\nreturn memo(abs)(1)\n",
                            "from functools import lru_cache\n"), "hidden cache (functools.lru_cache"),
    ("module-valued-member", _file("return re.enum.sys.modules\n", "import re\n"), "re.enum"),
    ("from-module-valued", _file("return enum.sys\n", "from re import enum\n"), "re.enum"),
    ("dunder-import-from", _file("return b['eval']('1')\n", "from re import __builtins__ as b\n"),
     "__builtins__"),
    ("private-member", _file("return functools._lru_cache_wrapper\n", "import functools\n"),
     "functools._lru_cache_wrapper"),
    ("pure-module-as-value", _file("m = re\nreturn m.enum\n", "import re\n"), "re (as a value)"),
    ("get-type-hints", _file("return typing.get_type_hints(total)\n", "import typing\n"),
     "typing.get_type_hints"),
    ("forward-ref", _file("return ForwardRef('1')\n", "from typing import ForwardRef\n"), "typing.ForwardRef"),
    ("forward-ref-evaluate", _file("return typing.get_args(typing.List['x'])[0]._evaluate({}, {}, frozenset())\n",
                                   "import typing\n"), "dynamic code (_evaluate"),
    ("formatter", _file("return string.Formatter().format('{0}', xs)\n", "import string\n"),
     "string.Formatter"),
    ("annotations-string", _file("return type('C', (), {'__annotations__': {}})\n"), "__annotations__ as a string"),
    ("gen-frame", _file("g = (x for x in xs)\nreturn g.gi_frame\n"), "gi_frame"),
    ("gen-yieldfrom", _file("g = (x for x in xs)\nreturn g.gi_yieldfrom\n"), "gi_yieldfrom"),
    ("code", _file("return total.__code__.co_code\n"), "co_code"),
    ("hasattr-dunder", _file("return hasattr(total, '__globals__')\n"), "__globals__ through hasattr"),
    ("subclasses", _file("return object.__subclasses__()\n"), "__subclasses__"),
    ("builtins-name", _file("return __builtins__\n"), "__builtins__"),
    ("import-name", _file("return __import__('os')\n"), "__import__"),
    ("eval", _file("return eval('1')\n"), "dynamic code (eval"),
    ("vars", _file("return vars()\n"), "dynamic code (vars"),
    ("exit", _file("exit(0)\n"), "test machinery (exit"),
    ("unlisted-stdlib", _file("return json.dumps(xs)\n", "import json\n"), "unlisted module (json"),
    ("unlisted-third-party", _file("return numpy.sum(xs)\n", "import numpy\n"), "unlisted module (numpy"),
    ("unused-os-member", _file("return os.path.splitext(xs)\n"), "unlisted member (os.path.splitext"),
    ("star-stdlib", _file("return system('ls')\n", "from os import *\n"), "os.*"),
    ("patch-module", _file("os.sep = '/'\nreturn 0\n"), "monkeypatching (os.sep (assigned)"),
]


@pytest.mark.parametrize(("text", "expected"), [r[1:] for r in ROUTES], ids=[r[0] for r in ROUTES])
def test_each_route_around_the_old_deny_list_is_refused(text, expected):
    reason = describe(check(ORIGINAL, text))
    assert reason.startswith("uses ") and expected in reason, reason
    assert "\n" not in reason


def test_a_refusal_says_what_and_why_on_one_line():
    text = _file("import posix\nmatch xs:\n    case object(tb_frame=f):\n        return f\n")
    assert describe(check(ORIGINAL, text)) == (
        "uses operating system (posix, line 5: not among the modules the original uses or the allowed "
        "pure modules) and introspection (tb_frame in a match pattern, line 7: an attribute of frames, "
        "tracebacks, code or generators), which the original does not")
    assert {f.capability for r in ROUTES for f in check(ORIGINAL, r[1])} <= set(CAPABILITIES)


# ---------------------------------------------------------------- it never crashes
ODD = [
    "if (n := len(xs)) > 3:\n    pass\n",
    "f = lambda *a, k=lambda: (yield), **kw: [y for x in a for y in x if (z := y)]\n",
    "v = {k: [(a, b) for a in range(k) for b in {c for c in 'ab'}] for k in range(3)}\n",
    "async def g(xs):\n    async with xs as y:\n        async for z in y:\n            await z\n"
    "    return [w async for w in xs]\n",
    "match xs:\n    case [1, *rest] | (2, *rest):\n        pass\n    case {'k': v, **kw}:\n        pass\n"
    "    case Point(x=0, y=_) if x:\n        pass\n    case str() | bytes() as s:\n        pass\n"
    "    case -1 | 1.5 | 2j | None | True:\n        pass\n    case a.b.c:\n        pass\n",
    "@decorate(1)\n@other.attr\n@(lambda f: f)\nclass C(Base, metaclass=M):\n"
    "    __slots__ = ('a',)\n    x: int = 1\n    def __init__(self): super().__init__()\n",
    "s = f'{x!r:>{width}.{prec}} {y=} {{literal}} {f\"{z}\"}'\n",
    "from os.path import *\nfrom . import *\nfrom .. import x as y\nimport a.b.c as d\n",
    "def f(a, /, b, *, c):\n    global G\n    nonlocal_ = 1\n    del a[1:2, ...], b.c\n    return c\n",
    "try:\n    pass\nexcept* ValueError as eg:\n    raise eg.exceptions[0] from None\n",
    "x = [*a, *b]; y = {**c}; z = a if b else c; w = not -~+a ** b @ c\n",
    "def g():\n    x = yield from range(3)\n    return (yield)\n",
    "type(x).__name__; getattr(x, 'y', 1); setattr(x, 'y', 2); delattr(x, 'y'); hasattr(x)\n",
    "getattr(*args); setattr(); attrgetter(); operator.attrgetter(*n); hash(); hash(*a)\n",
    "'{0[__globals__]}'.format(x); '{'.format(1); '{0:{1}}'.format(1, 2); ''.format_map\n",
    "import functools\n@functools.lru_cache\n@functools.cache()\nasync def h(): pass\n",
    "x: 'os.system' = 1\ndef f(a: __file__ = eval) -> __name__: ...\n",
    "class A:\n    def __getattr__(self, n): return object.__getattribute__(self, n)\n",
    "while True:\n    break\nelse:\n    pass\nfor i in []: continue\nassert x, 'msg'\n",
    "with open('f') as (a, b), ctx():\n    print(*a, sep='', file=b)\n",
]


def test_odd_but_parsable_code_never_crashes_it():
    originals = [ORIGINAL, "", "import os, sys, time\nfrom x import *\n"] + ODD
    for original in originals:
        for text in ODD:
            check(original, text)
            check(original, text, own_packages=frozenset({"x", "a"}))
    # and random slices of all of it glued together
    lines = "".join(ODD).splitlines(keepends=True)
    rng = random.Random(0)
    checked = 0
    for _ in range(300):
        start = rng.randrange(len(lines))
        piece = "".join(lines[start:start + rng.randrange(1, 12)])
        try:
            ast.parse(piece)
        except SyntaxError:
            continue
        describe(check(rng.choice(originals), piece))
        checked += 1
    assert checked > 30
