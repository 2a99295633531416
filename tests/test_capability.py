import textwrap

import pytest

from sandboxes.capability import CAPABILITIES, Finding, check, describe, uses

ORIGINAL = textwrap.dedent("""\
    import os


    def total(xs):
        result = 0
        for x in xs:
            result += x
        return result
    """)


def candidate(body: str, header: str = "import os\n") -> str:
    """A rewritten `total` under `header`; with one import line, its body starts on line 4."""
    return header + "\ndef total(xs):\n" + textwrap.indent(textwrap.dedent(body), "    ")


def found(original: str, text: str) -> list[tuple[str, str, int]]:
    return [(f.capability, f.what, f.line) for f in check(original, text)]


# One positive case per capability: the candidate adds exactly that use, at that line.
POSITIVES = [
    ("file access", "open", "with open('log') as fh:\n    fh.write('x')\nreturn sum(xs)\n"),
    ("file access", "os.remove", "os.remove('log')\nreturn sum(xs)\n"),
    ("file access", ".write_text", "xs.path.write_text('x')\nreturn sum(xs)\n"),
    ("processes and threads", "os.system", "os.system('ls')\nreturn sum(xs)\n"),
    ("processes and threads", "os.execv", "os.execv('/bin/sh', [])\nreturn sum(xs)\n"),
    ("environment", "os.environ", "return sum(xs) + int(os.environ.get('N', 0))\n"),
    ("environment", "input", "return sum(xs) + int(input())\n"),
    ("dynamic code", "eval", "return eval('sum(xs)')\n"),
    ("dynamic code", "getattr with a computed name", "return getattr(xs, name)()\n"),
    ("introspection", "__subclasses__", "object.__subclasses__()\nreturn sum(xs)\n"),
    ("introspection", "__builtins__", "return __builtins__['sum'](xs)\n"),
    ("object identity", "id", "return CACHE.get(id(xs)) or sum(xs)\n"),
    ("operating system", "os.getpid", "return sum(xs) + os.getpid() * 0\n"),
]


@pytest.mark.parametrize(("capability", "what", "body"), POSITIVES, ids=lambda v: str(v)[:20])
def test_each_capability_is_reported_at_its_line(capability, what, body):
    assert found(ORIGINAL, candidate(body)) == [(capability, what, 4)]


# Capabilities that arrive with an import: the import line is a use, and so is the call.
IMPORTED = [
    ("network", "import socket", "socket.create_connection(('h', 1))", "socket.create_connection"),
    ("processes and threads", "import subprocess", "subprocess.run(['ls'])", "subprocess.run"),
    ("dynamic code", "import pickle", "pickle.loads(b'')", "pickle.loads"),
    ("ctypes", "import ctypes", "ctypes.CDLL(None)", "ctypes.CDLL"),
    ("timer", "import timeit", "timeit.default_timer()", "timeit.default_timer"),
    ("test machinery", "import gc", "gc.disable()", "gc.disable"),
    ("file access", "import shutil", "shutil.rmtree('/tmp/x')", "shutil.rmtree"),
]


@pytest.mark.parametrize(("capability", "statement", "call", "what"), IMPORTED,
                         ids=lambda v: str(v)[:20])
def test_flagged_modules_are_reported_at_the_import_and_the_use(capability, statement, call, what):
    text = candidate(f"{call}\nreturn sum(xs)\n", header=f"import os\n{statement}\n")
    module = statement.split()[-1]
    assert found(ORIGINAL, text) == [(capability, module, 2), (capability, what, 5)]


def test_timer_reads_and_test_machinery_through_sys():
    text = candidate("t = time.perf_counter()\nsys.settrace(None)\nreturn sum(xs)\n",
                     header="import time\nimport sys\n")
    assert found(ORIGINAL, text) == [("timer", "time", 1), ("test machinery", "sys", 2),
                                     ("timer", "time.perf_counter", 5),
                                     ("test machinery", "sys.settrace", 6)]
    # An original that imports them grants the imports, not every name under them.
    original = "import time\nimport sys\n" + ORIGINAL
    assert found(original, text) == [("timer", "time.perf_counter", 5),
                                     ("test machinery", "sys.settrace", 6)]


def test_aliased_imports_resolve_to_the_module():
    text = "import socket as s\n\ndef total(xs):\n    s.socket()\n    return sum(xs)\n"
    assert found(ORIGINAL, text) == [("network", "socket", 1), ("network", "socket.socket", 4)]

    text = "from os import environ as e\n\ndef total(xs):\n    return e.get('N')\n"
    assert found(ORIGINAL, text) == [("environment", "os.environ", 1)]

    text = "from time import perf_counter as pc\n\ndef total(xs):\n    pc()\n    return 0\n"
    assert found(ORIGINAL, text) == [("timer", "time.perf_counter", 1)]

    text = ("import os.path as p\nimport os as o\n\n"
            "def total(xs):\n    p.join('a')\n    o.kill(1, 9)\n")
    assert found(ORIGINAL, text) == [("unlisted module", "os.path", 1),
                                     ("unlisted member", "os.path.join", 5),
                                     ("processes and threads", "os.kill", 6)]
    original = ORIGINAL.replace("result = 0", "result = len(os.path.join('a'))")
    assert found(original, text) == [("processes and threads", "os.kill", 6)]


def test_an_import_inside_the_function_counts():
    text = candidate("import urllib.request\nurllib.request.urlopen('http://x')\nreturn 0\n")
    assert found(ORIGINAL, text) == [("network", "urllib.request", 4),
                                     ("network", "urllib.request.urlopen", 5)]


def test_a_star_import_flags_the_module_itself():
    text = candidate("return run(['ls'])\n", header="from subprocess import *\n")
    assert found(ORIGINAL, text) == [("processes and threads", "subprocess", 1)]
    # A star import of a module whose members are guarded one by one hides them all.
    assert found(ORIGINAL, candidate("return system('ls')\n", header="from os import *\n")) == \
        [("operating system", "os.*", 1)]


def test_hidden_routes_are_flagged_rather_than_followed():
    assert found(ORIGINAL, candidate("m = os\nreturn m.system('ls')\n")) == \
        [("operating system", "os (as a value)", 4)]
    assert found(ORIGINAL, candidate("return globals()['os'].system('ls')\n")) == \
        [("dynamic code", "globals", 4)]
    assert found(ORIGINAL, candidate("return getattr(os, 'system')('ls')\n")) == \
        [("processes and threads", "os.system", 4)]
    assert found(ORIGINAL, candidate("return total.__globals__\n")) == \
        [("introspection", "__globals__", 4)]


def test_replacing_a_time_function_is_a_timer_use_but_sleeping_like_the_original_is_not():
    original = candidate("time.sleep(0.1)\nreturn 0\n", "import time\n")
    assert found(original, candidate("time.sleep(0.1)\nreturn sum(xs)\n", "import time\n")) == []
    assert found(ORIGINAL, candidate("time.sleep(0.1)\nreturn sum(xs)\n", "import time\n")) == \
        [("timer", "time", 1), ("timer", "time.sleep", 4)]
    text = candidate("time.sleep = lambda s: None\nreturn sum(xs)\n", "import time\n")
    assert found(original, text) == [("timer", "time.sleep (assigned)", 4)]
    text = candidate("setattr(time, 'monotonic', len)\ndel time.time\n", "import time\n")
    assert found(original, text) == [("timer", "time.monotonic (assigned)", 4),
                                     ("timer", "time.time (assigned)", 5)]
    text = candidate("time.__dict__['perf_counter'] = len\nreturn 0\n", "import time\n")
    assert found(original, text) == [("introspection", "__dict__", 4),
                                     ("timer", "time.__dict__", 4),
                                     ("timer", "time.perf_counter (assigned)", 4)]


def test_what_the_original_already_uses_is_not_a_finding():
    original = candidate("with open('log') as fh:\n    return sum(xs) + len(fh.read())\n")
    text = candidate("fh = open('log')\nreturn sum(xs) + len(fh.read())\n")
    assert uses(original) >= {("file access", "open")}
    assert check(original, text) == []


def test_names_the_original_uses_are_not_findings():
    original = candidate("""\
        import sys
        return sum(xs) + len(os.path.join('a', 'b')) + len(os.sep) + sys.maxsize * 0
        """)
    text = candidate("""\
        import sys
        parts = os.path.join('a', 'b').split(os.sep)
        return sum(xs) + sys.maxsize * 0 + len(parts) + getattr(xs, 'count', 0)
        """)
    assert check(original, text) == []
    # The same names, unused by the original, are not on the allow-list.
    assert found(ORIGINAL, text) == [("test machinery", "sys", 4),
                                     ("unlisted member", "os.path.join", 5),
                                     ("unlisted member", "os.sep", 5),
                                     ("unlisted module", "sys.maxsize", 6)]


def test_a_plain_faster_rewrite_has_no_findings():
    header = textwrap.dedent("""\
        import bisect
        import heapq
        import itertools
        import math
        import re
        from collections import Counter, deque
        from functools import lru_cache
        """)
    body = textwrap.dedent("""\
        seen = set(xs)
        queue = deque(sorted(seen))
        counts = Counter(itertools.chain(xs, queue))
        small = heapq.nsmallest(3, xs)
        where = bisect.bisect_left(small, 0)
        words = re.findall(r"\\w+", str(xs))

        @lru_cache(maxsize=None)
        def square(v):
            return math.isqrt(v * v)

        return sum(square(v) for v in counts) + where + len(words)
        """)
    assert check(ORIGINAL, candidate(body, header=header)) == []


def test_each_finding_is_reported_once_at_its_first_line():
    text = candidate("open('a')\nopen('b')\nreturn eval('0')\n")
    assert check(ORIGINAL, text) == [Finding("file access", "open", 4),
                                     Finding("dynamic code", "eval", 6)]


def test_a_builtin_shadowed_by_an_import_is_not_the_builtin():
    text = candidate("return open(xs)\n", header="from .storage import open\n")
    assert check(ORIGINAL, text) == []


def test_describe_names_each_capability_on_one_line():
    findings = [Finding("network", "socket.create_connection", 4),
                Finding("file access", "open", 7)]
    assert describe(findings) == ("uses network (socket.create_connection, line 4) and "
                                  "file access (open, line 7), which the original does not")
    many = [Finding("file access", name, line) for line, name in enumerate("abcde", 1)]
    assert describe(many) == ("uses file access (a, line 1; b, line 2; c, line 3; 2 more), "
                              "which the original does not")


def test_every_reported_capability_is_in_the_catalog():
    everything = candidate("import socket, pickle, ctypes, gc, sys, time, json, functools, re\n"
                           "os.system(input()); id(0); sys.exit(); time.time(); open('x')\n"
                           "os.getpid(); ().__class__.__mro__; socket.timeout = 1\n"
                           "f = functools.lru_cache(None)(abs); re.enum; x = __file__\n")
    assert {capability for capability, _ in uses(everything)} == set(CAPABILITIES)


def test_a_candidate_that_does_not_parse_raises():
    with pytest.raises(SyntaxError):
        check(ORIGINAL, "def total(xs:\n")


def test_code_too_deep_to_read_is_refused_like_code_that_does_not_parse():
    with pytest.raises(SyntaxError):
        check(ORIGINAL, candidate("return " + "+".join(["1"] * 5000) + "\n"))


def test_an_original_that_does_not_parse_allows_nothing():
    assert found("def total(:\n", candidate("return eval('0')\n")) == \
        [("operating system", "os", 1), ("dynamic code", "eval", 4)]


def test_patching_any_imported_module_is_monkeypatching():
    original = "import json\nimport compare\n\n\ndef f(x):\n    return json.dumps(x)\n"
    candidate = ("import json\nimport compare\n\n\ndef f(x):\n    compare.difference = lambda *a: None\n"
                 "    setattr(json, 'dumps', str)\n    return json.dumps(x)\n")
    found = {(f.capability, f.what) for f in check(original, candidate)}
    assert found == {("monkeypatching", "compare.difference (assigned)"),
                     ("monkeypatching", "json.dumps (assigned)")}
    # attributes of objects that are not modules stay the function's business
    assert check(original, "import json\n\n\ndef f(x):\n    x.y = 1\n    return json.dumps(x)\n") == []
