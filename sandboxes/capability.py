"""A static check of what a candidate can reach, run before anything executes it.

A candidate is model-written Python: the whole text of one file in which one
function was rewritten. Candidates are adversarial: a faster version of a
function has no reason to open sockets, read the environment, spawn processes,
patch the timer, walk the interpreter's internals or probe the harness that
judges it, and a model that does so is confused or was manipulated by text in
the code it read. So the check compares the candidate with the original file,
and refuses everything the candidate reaches that is neither on an allow-list
nor already used by the original; the refusal names what and why.

The allow-list (a candidate may reach):

* Modules. The pure stdlib modules performance rewrites need (`PURE_MODULES`:
  collections, collections.abc, itertools, functools, operator, math, cmath,
  heapq, bisect, array, re, string, statistics, fractions, decimal, numbers,
  typing, dataclasses, enum, copy, struct, unicodedata, keyword), and their
  public members except: private names; members whose value is a module (found
  by importing the pure module here and asking `inspect.ismodule`: `re.enum`,
  `typing.sys`); members that evaluate strings as code or read attributes by
  computed name (`PURE_REFUSED`: `typing.get_type_hints`, `typing.ForwardRef`,
  `functools.singledispatch` (it calls get_type_hints), `string.Formatter`);
  the functools caches (`lru_cache`, `cache`, `cached_property`) anywhere but
  directly as a `def`'s decorator (the measurement finds and cold-times
  decorated caches; one hidden under another name or in a default is refused);
  `operator.attrgetter`/`methodcaller` unless called on the spot with constant
  attribute names that pass the attribute rule below (all of attrgetter's
  arguments; methodcaller's first, the method name: the rest are the method's
  arguments). A pure module itself passed around as a value is refused (it
  would hide which members are used).
* The user's own code: relative imports and the repository's top-level packages
  (`own_packages`), except members named like a dangerous module (`pkg.util.os`).
* Modules the original imports. A third-party one (not in
  `sys.stdlib_module_names`): all its public members (but not a dangerous
  module reached through it, `lib.os`); this trusts the original's own
  dependencies, whatever else they re-export or do. A stdlib one outside
  the pure set (os, sys, time, io, ...): only the exact dotted names the
  original itself uses, after resolving imports and aliases (and names under
  one of those that is not a module, such as `os.environ.get` under `os.environ`).
* `from __future__ import ...`.

Everything else is refused by name. The old deny tables (`MODULES`, `MEMBERS`,
...) are kept only to name the capability in the reason (network, file access,
processes, ...); what they do not know is an "unlisted module" or "unlisted member".

The other rules:

* Attributes: a dunder attribute is refused unless it is one of the special
  methods a rewrite may call (`SPECIAL_ATTRIBUTES`); so is every data attribute
  of frames, tracebacks, code objects, cells, generators, coroutines and async
  generators (`FRAME_ATTRIBUTES`, computed from the real types: `tb_frame`,
  `f_back`, `co_code`, `gi_frame`, ...). Wherever the name appears: an
  attribute, `getattr`/`hasattr`/`setattr`/`delattr` with a constant name, a
  keyword of a `match` class pattern, an `operator.attrgetter` string (dotted
  too), or a `str.format` field in any string constant (`"{0.__globals__}"`). A
  `.format`/`.format_map` on a format string that is not a constant is refused,
  and so is a string constant that is exactly such a dunder name
  (`type("C", (), {"__annotations__": ...})`).
* Names: loads of dunder names (`__file__`, `__name__`, `__builtins__`,
  `__loader__`, `__import__`, ...) are refused; `__class__` (zero-argument
  `super`) is fine.
* Builtins: `open`, `input`, `eval`, `exec`, `compile`, `__import__`,
  `globals`, `vars`, `locals`, `breakpoint`, `help`, `exit`, `quit`,
  `copyright`, `credits`, `license` and `id` (identity survives between timed
  calls) are refused; `getattr`/`setattr`/`delattr`/`hasattr` only when called
  directly with a constant name that passes the attribute rule, never as a
  value (`[getattr][0]`, `f = getattr`, passed as an argument); `hash` of a
  literal, or `hash` as a value, is harness probing. Other builtins are fine
  (`memoryview`, `print`, `type`, `dir` included).
* Harness probing, refused unless the original does it: `__main__`, `__file__`,
  `__name__`, `sys.flags`, `os.getcwd`, `os.path.expanduser`, `hash(literal)`
  (and the few more in `PROBING`). `os.environ`/`os.getenv` and `sys.argv` keep
  their older name, "environment" (what they read; the hostile corpus says so).
* File methods (`write_text`, `unlink`, ...) on an object of unknown origin (a
  `pathlib.Path` handed in) are file access: the allow-list cannot see those.
* Setting or deleting an attribute of anything imported (`mod.attr = ...`,
  augmented assignment, `setattr`/`delattr`, `mod.__dict__[...] = ...`) is
  monkeypatching (the timer, for `time`).

Anything the original itself uses (the same capability and name) is allowed.

What it cannot see: it reads names as written, after resolving imports, and
attempts no data flow: a value computed at run time (a string built for
`hash`, a module reached through an object a third-party or own module hands
back) is not followed; the routes that would hide a name from this reading (a
computed `getattr`, `globals()`, a module as a value, a star import of a stdlib
module) are refused in their own right. Third-party modules the original
imports, and the user's own packages, are trusted as a whole. Scope is not
modelled: a local variable named like an import is read as the import, and a
parameter named like a refused builtin (`id`, `input`) as the builtin (allowed
when the original has it too). What gets past it runs inside the sandbox,
which contains it.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import string
import sys
import types
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

CAPABILITIES: dict[str, str] = {
    "file access": "reads or writes files outside what the function is given",
    "processes and threads": "starts processes, threads or signals",
    "network": "opens network connections",
    "environment": "reads the environment, the command line or standard input",
    "dynamic code": "runs code built at run time or reaches names indirectly",
    "ctypes": "calls native code or maps memory directly",
    "timer": "reads or replaces the clocks the measurement relies on",
    "monkeypatching": "replaces attributes of an imported module (the judge's code included)",
    "test machinery": "reaches the interpreter, the test harness or the profiler",
    "introspection": "walks interpreter internals (frames, globals, subclasses)",
    "object identity": "keys on object identity, which survives between timed calls",
    "operating system": "calls the operating system directly",
    "harness probing": "looks at how and where it is being run (main module, files, cwd, hash seed)",
    "hidden cache": "keeps a functools cache other than as a def's decorator, which the measurement cannot cold-time",
    "unlisted module": "imports a module that is neither an allowed pure module nor one the original imports",
    "unlisted member": "reaches a name the allow-list does not admit (private, a module, or unused by the original)",
}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _each(capability: str, text: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), capability)


# ------------------------------------------------------------------ the allow-list
PURE_MODULES = _names("collections collections.abc itertools functools operator math cmath heapq "
                      "bisect array re string statistics fractions decimal numbers typing "
                      "dataclasses enum copy struct unicodedata keyword")
# Public members of pure modules that evaluate strings or read attributes by computed name.
PURE_REFUSED: dict[str, str] = {
    "typing.get_type_hints": "evaluates string annotations as code",
    "typing.ForwardRef": "evaluates its string as code",
    "typing.evaluate_forward_ref": "evaluates its string as code",
    "functools.singledispatch": "evaluates string annotations as code (through get_type_hints)",
    "functools.singledispatchmethod": "evaluates string annotations as code (through get_type_hints)",
    "string.Formatter": "reads attributes named in its format strings",
}
CACHES = _names("functools.lru_cache functools.cache functools.cached_property")
ATTRGETTERS = _names("operator.attrgetter operator.methodcaller")
# A pure member whose value is one of these builds code or reaches modules.
_REFUSED_TYPES = (types.FunctionType, types.CodeType, types.ModuleType, types.FrameType,
                  types.TracebackType)

# Dunder attributes a rewrite may use: the special-method protocol and harmless names.
SPECIAL_ATTRIBUTES = _names(
    "__init__ __new__ __call__ __len__ __length_hint__ __iter__ __next__ __reversed__ __contains__ "
    "__getitem__ __setitem__ __delitem__ __missing__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ "
    "__hash__ __bool__ __repr__ __str__ __format__ __bytes__ __enter__ __exit__ __aenter__ __aexit__ "
    "__aiter__ __anext__ __await__ __index__ __int__ __float__ __complex__ __round__ __trunc__ "
    "__floor__ __ceil__ __neg__ __pos__ __abs__ __invert__ __post_init__ __copy__ __deepcopy__ "
    "__class__ __name__ __qualname__ __doc__ __slots__ "
    + " ".join(f"__{op}__ __r{op}__ __i{op}__" for op in
               "add sub mul matmul truediv floordiv mod pow lshift rshift and or xor".split())
    + " __divmod__ __rdivmod__")


def _frame_attributes() -> frozenset[str]:
    """The data attributes of frames, tracebacks, code, cells, generators and coroutines.
    Their methods (clear, replace, send, close, ...) share names with everyday methods
    and reveal nothing, so they are left out."""
    kinds = [types.FrameType, types.TracebackType, types.CodeType, types.CellType,
             types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType]
    found = {name for kind in kinds for name in dir(kind)
             if not name.startswith("__") and inspect.isdatadescriptor(getattr(kind, name, None))}
    return frozenset(found) | _names("f_generator ag_suspended gi_suspended cr_suspended co_qualname")


FRAME_ATTRIBUTES = _frame_attributes()

REFUSED_BUILTINS: dict[str, str] = {
    "open": "file access", "input": "environment", "id": "object identity",
    **_each("dynamic code", "eval exec compile __import__ globals vars locals breakpoint"),
    **_each("test machinery", "help exit quit copyright credits license"),
}
ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "delattr", "hasattr"}
FORMAT_METHODS = {"format", "format_map"}
# Attribute names that evaluate a string as code (a ForwardRef from typing.get_args(List["..."])).
EVALUATING_ATTRIBUTES = {"_evaluate"}

# Dunder names read as names (not attributes): how each is named when refused.
DUNDER_NAMES: dict[str, str] = {
    **_each("harness probing", "__main__ __file__ __name__ __cached__ __package__ __path__ __debug__"),
    **_each("dynamic code", "__import__ __build_class__"),
}

# ------------------------------------------------------------------ naming what is refused
# A module listed here is named by this capability wherever it appears.
MODULES: dict[str, str] = {
    **_each("file access", "shutil tempfile pathlib fileinput glob sqlite3 dbm shelve _io zipfile tarfile"),
    **_each("processes and threads",
            "subprocess multiprocessing concurrent threading _thread pty signal asyncio sched "
            "_posixsubprocess"),
    **_each("network", "socket _socket ssl _ssl select selectors http urllib ftplib smtplib poplib "
                       "imaplib telnetlib xmlrpc socketserver requests httpx aiohttp urllib3 "
                       "websocket websockets paramiko"),
    **_each("dynamic code", "importlib runpy code codeop marshal pickle dill builtins types _string"),
    **_each("ctypes", "ctypes _ctypes cffi mmap"),
    **_each("timer", "timeit"),
    **_each("test machinery", "pytest _pytest unittest doctest gc tracemalloc faulthandler atexit "
                              "inspect dis trace cProfile profile pdb bdb sysconfig site"),
    **_each("operating system", "posix nt _winapi msvcrt resource fcntl termios pwd grp"),
    **_each("environment", "getpass"),
    **_each("harness probing", "__main__"),
}

# Members of modules whose other members are named by the module's own entry.
MEMBERS: dict[str, str] = {
    **_each("file access", "io.open io.open_code io.FileIO os.open os.remove os.unlink os.rename "
                           "os.replace os.rmdir os.removedirs os.mkdir os.makedirs os.write "
                           "os.truncate os.chmod os.chown os.link os.symlink os.utime os.listdir "
                           "os.scandir os.walk codecs.open logging.FileHandler logging.handlers "
                           "logging.basicConfig"),
    **_each("processes and threads",
            "os.system os.popen os.fork os.forkpty os.kill os.killpg os._exit os.abort"),
    **_each("environment", "os.environ os.environb os.getenv os.getenvb os.putenv os.unsetenv "
                           "sys.argv sys.orig_argv sys.stdin"),
    **_each("timer", "time.perf_counter time.perf_counter_ns time.process_time "
                     "time.process_time_ns time.monotonic time.monotonic_ns time.time "
                     "time.time_ns time.thread_time time.thread_time_ns time.clock_gettime "
                     "time.clock_gettime_ns time.get_clock_info"),
}
MEMBER_PREFIXES: dict[str, str] = _each("processes and threads", "os.exec os.spawn os.posix_spawn")

# Named before everything else, at any depth (`os.path.expanduser`).
PROBING: dict[str, str] = _each(
    "harness probing", "__main__ os.getcwd os.getcwdb os.path.expanduser os.path.expandvars "
                       "os.path.abspath os.path.realpath sys.flags sys.path sys.executable "
                       "sys.prefix sys.base_prefix")

# os and sys members the old deny-list let through: named "unlisted member" when unused.
OS_HARMLESS = _names("path sep linesep pathsep fspath cpu_count name curdir pardir extsep "
                     "altsep devnull")
SYS_HARMLESS = _names("maxsize maxunicode float_info int_info hash_info version_info version "
                      "byteorder intern getrecursionlimit setrecursionlimit getsizeof platform "
                      "implementation float_repr_style get_int_max_str_digits "
                      "set_int_max_str_digits")

# Modules named by one capability for all their members, as a module or through a star import.
GUARDED_MODULES: dict[str, str] = {"os": "operating system", "sys": "test machinery",
                                   "time": "timer", "types": "dynamic code"}

# A module reached as a member of another module (`os.path.os`, `pkg.util.sys`) is a route
# around this check; for the user's own and third-party modules these names are refused.
REACH_MODULES: dict[str, str] = {
    name: MODULES.get(name) or GUARDED_MODULES[name]
    for name in "os sys subprocess socket _socket builtins importlib ctypes shutil pickle "
                "marshal posix nt gc threading _thread multiprocessing".split()}

# Attribute names that are file access on an object of unknown origin (a pathlib.Path
# handed in): the allow-list cannot see where such an object came from.
FILE_METHODS = _names("write_text write_bytes read_text read_bytes unlink rmdir touch mkdir "
                      "chmod symlink_to hardlink_to")

NAMES_PER_CAPABILITY = 3   # in describe(); the rest are counted

WHY_MODULE = "not among the modules the original uses or the allowed pure modules"
WHY_MEMBER = "not a name the original uses"
WHY_FRAME = "an attribute of frames, tracebacks, code or generators"
WHY_DUNDER = "not a special method a rewrite may use"


@dataclass(frozen=True)
class Finding:
    capability: str   # a key of CAPABILITIES
    what: str         # the name as written, after resolving imports
    line: int         # in the candidate
    how: str = field(default="", compare=False)   # where the name appears: "in a match pattern"
    why: str = field(default="", compare=False)   # why it is refused, when the capability does not say


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _is_stdlib(root: str) -> bool:
    return root in sys.stdlib_module_names or root == "__main__"


def classify(dotted: str) -> tuple[str, str] | None:
    """(capability, what) naming a fully resolved dotted name by the tables, or None."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in PROBING:
            return PROBING[prefix], prefix
    if parts[0] in MODULES:
        return MODULES[parts[0]], dotted
    if len(parts) < 2:
        return (GUARDED_MODULES[dotted], dotted) if dotted in GUARDED_MODULES else None
    member = f"{parts[0]}.{parts[1]}"   # os.environ.get is a use of os.environ
    if member in MEMBERS:
        return MEMBERS[member], member
    for prefix, capability in MEMBER_PREFIXES.items():
        if member.startswith(prefix):
            return capability, member
    if parts[0] == "os" and parts[1] not in OS_HARMLESS:
        return "operating system", member
    if parts[0] == "sys" and parts[1] not in SYS_HARMLESS:
        return "test machinery", member
    if parts[0] in ("time", "types"):
        return GUARDED_MODULES[parts[0]], dotted
    for part in parts[1:]:
        if part in REACH_MODULES:
            return REACH_MODULES[part], dotted
    return None


def _named(dotted: str, unlisted: str, why: str) -> tuple[str, str, str]:
    """(capability, what, why) for a refused name: the tables' capability if they know it."""
    found = classify(dotted)
    return (found[0], found[1], why) if found else (unlisted, dotted, why)


_MISSING = object()


@lru_cache(maxsize=None)
def _pure_member(module: str, member: str) -> object:
    """The value of a pure module's member, importing the module here (it is pure)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(importlib.import_module(module), member, _MISSING)
    except Exception:
        return _MISSING


def _loaded(dotted: str) -> object:
    """The object a stdlib dotted name denotes, if its module is already loaded here; never imports."""
    parts = dotted.split(".")
    value = sys.modules.get(parts[0], _MISSING)
    try:
        for part in parts[1:]:
            if value is _MISSING:
                break
            value = getattr(value, part, _MISSING)
    except Exception:
        return _MISSING
    return value


def _format_attributes(text: str) -> list[str]:
    """Attribute names read by str.format fields in text: "{0.__globals__}" -> ["__globals__"]."""
    out: list[str] = []
    pending = [text]
    while pending:
        try:
            parsed = list(string.Formatter().parse(pending.pop()))
        except (ValueError, TypeError):
            continue
        for _, name, spec, _ in parsed:
            if name:
                for piece in name.split(".")[1:]:
                    attr = piece.split("[", 1)[0]
                    if attr:
                        out.append(attr)
            if spec and "{" in spec:
                pending.append(spec)
    return out


@dataclass(frozen=True)
class _Allowed:
    """What the original file grants the candidate."""
    own: frozenset[str] = frozenset()          # the repository's top-level packages
    modules: frozenset[str] = frozenset()      # absolute modules the original imports
    reached: frozenset[str] = frozenset()      # dotted names it reaches (loads and from-imports)
    third_party: frozenset[str] = frozenset()  # top-level non-stdlib packages it imports
    stars: frozenset[str] = frozenset()        # modules it star-imports

    def imports_root(self, root: str) -> bool:
        return any(n.split(".")[0] == root for n in self.modules | self.reached)


def _imports(tree: ast.AST) -> tuple[dict[str, set[str]], set[str]]:
    """Each name an import binds anywhere in the file -> the dotted names it may mean; and the
    dotted names `import` statements bind (modules)."""
    bound: dict[str, set[str]] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import os.path` binds `os`; `import os.path as p` binds `p` to os.path.
                name = alias.asname or alias.name.split(".")[0]
                bound.setdefault(name, set()).add(alias.name if alias.asname else name)
                modules.add(alias.name if alias.asname else name)
        elif isinstance(node, ast.ImportFrom):
            # A relative import names the project's own module, never the stdlib one.
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    name = alias.asname or alias.name
                    bound.setdefault(name, set()).add(f"{module}.{alias.name}")
    return bound, modules


def _has_name(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) for n in ast.walk(node))


class _Scanner(ast.NodeVisitor):
    def __init__(self, imports: dict[str, set[str]], allowed: _Allowed, module_names: set[str] = frozenset()):
        self.imports = imports
        self.module_names = module_names   # what `import` statements bind: modules
        self.allowed = allowed
        self.findings: list[Finding] = []
        # What this file reaches, for when it is the original.
        self.modules: set[str] = set()
        self.reached: set[str] = set()
        self.stars: set[str] = set()
        # ids of the inner nodes of attribute chains: `os.environ.get` is read once, as a whole
        self.chain_parts: set[int] = set()
        self.decorators: set[int] = set()   # ids of names/attributes used directly as a def's decorator
        self.direct: set[int] = set()       # ids of names/attributes called on the spot and checked there

    def add(self, capability: str, what: str, node: ast.AST, how: str = "", why: str = "") -> None:
        self.findings.append(Finding(capability, what, getattr(node, "lineno", 1), how, why))

    def resolve(self, node: ast.AST) -> set[str]:
        """The dotted names a Name/Attribute chain rooted at an imported name may mean."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, set())
        if isinstance(node, ast.Attribute):
            return {f"{base}.{node.attr}" for base in self.resolve(node.value)}
        return set()

    # -------------------------------------------------------------- dotted names
    def judge(self, dotted: str, node: ast.AST, kind: str) -> None:
        """kind: "import" (an import statement), "from" (a from-import binding), "load",
        "decorator" (directly a def's decorator) or "call" (called on the spot, checked there)."""
        (self.modules if kind == "import" else self.reached).add(dotted)
        refused = self.refusal(dotted, kind)
        if refused:
            self.add(refused[0], refused[1], node, why=refused[2])

    def refusal(self, dotted: str, kind: str) -> tuple[str, str, str] | None:
        parts = dotted.split(".")
        root = parts[0]
        if kind == "from" and _is_dunder(parts[-1]) and parts[-1] not in SPECIAL_ATTRIBUTES:
            return DUNDER_NAMES.get(parts[-1], "introspection"), parts[-1], "imported by name"
        if not root or root in self.allowed.own:          # relative imports, the user's packages
            for part in parts[1:]:
                if part in REACH_MODULES:
                    return REACH_MODULES[part], dotted, "a module reached through the project's code"
            return None
        for k in range(len(parts), 0, -1):
            module = ".".join(parts[:k])
            if module in PURE_MODULES:
                return self.pure(module, parts[k:], dotted, kind)
        if not _is_stdlib(root):
            if root not in self.allowed.third_party:
                return _named(dotted, "unlisted module", WHY_MODULE)
            for part in parts[1:]:
                if part in REACH_MODULES:
                    return REACH_MODULES[part], dotted, "a module reached through a third-party module"
                if part.startswith("_") and not _is_dunder(part):   # dunders: the attribute rule
                    return "unlisted member", dotted, "private"
            return None
        if self.stdlib_allowed(dotted, kind):
            return None
        if not self.allowed.imports_root(root):
            return _named(dotted, "unlisted module", WHY_MODULE)
        return _named(dotted, "unlisted module" if kind == "import" else "unlisted member", WHY_MEMBER)

    def pure(self, module: str, rest: list[str], dotted: str, kind: str) -> tuple[str, str, str] | None:
        if not rest:
            if kind == "load":
                return "unlisted member", f"{dotted} (as a value)", \
                    "a module passed around hides which of its names are used"
            return None
        member = f"{module}.{rest[0]}"
        if rest[0].startswith("_"):
            return ("unlisted member", member, "private") if not _is_dunder(rest[0]) else None
        if member in PURE_REFUSED:
            return "dynamic code", member, PURE_REFUSED[member]
        value = _pure_member(module, rest[0])
        if inspect.ismodule(value):
            found = classify(value.__name__)
            return (found[0] if found else "unlisted member"), member, f"a module ({value.__name__})"
        if any(value is t for t in _REFUSED_TYPES):
            return "dynamic code", member, "builds functions or code, or reaches modules"
        if member in CACHES and kind not in ("decorator", "from"):
            return "hidden cache", member, "a cache used other than directly as a def's decorator"
        if member in ATTRGETTERS and kind not in ("call", "from"):
            return "dynamic code", f"{member} (as a value)", "its attribute names cannot be read"
        return None

    def stdlib_allowed(self, dotted: str, kind: str) -> bool:
        """A name of a stdlib module outside the pure set: only what the original uses."""
        a = self.allowed
        if dotted in a.reached:
            return True
        if kind in ("import", "from"):   # the binding is free; what is read through it is judged
            return dotted in a.modules or any(n.startswith(dotted + ".") for n in a.modules | a.reached)
        parts = dotted.split(".")
        for k in range(len(parts) - 1, 1, -1):   # under a name the original reaches that is no module
            prefix = ".".join(parts[:k])
            if prefix in a.reached:
                value = _loaded(prefix)
                return value is not _MISSING and not inspect.ismodule(value)
        return False

    # -------------------------------------------------------------- attribute names
    def attribute_name(self, attr: str, node: ast.AST, how: str = "") -> None:
        if attr in FRAME_ATTRIBUTES:
            self.add("introspection", attr, node, how, WHY_FRAME)
        elif _is_dunder(attr) and attr not in SPECIAL_ATTRIBUTES:
            self.add("introspection", attr, node, how)
        elif attr in EVALUATING_ATTRIBUTES:
            self.add("dynamic code", attr, node, how, "evaluates a string as code")

    def dynamic_format(self, node: ast.AST, how: str = "") -> None:
        self.add("dynamic code", "format with a computed format string", node, how,
                 "its fields can read any attribute")

    # -------------------------------------------------------------- visitors
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.judge(alias.name, node, "import")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module or node.module == "__future__":
            return
        for alias in node.names:
            if alias.name != "*":
                self.judge(f"{node.module}.{alias.name}", node, "from")
            else:
                self.star(node.module, node)

    def star(self, module: str, node: ast.AST) -> None:
        self.stars.add(module)
        root = module.split(".")[0]
        if root in self.allowed.own or module in self.allowed.stars \
                or (not _is_stdlib(root) and root in self.allowed.third_party):
            return
        why = "a star import hides which names it binds"
        if module in GUARDED_MODULES:
            self.add(GUARDED_MODULES[module], f"{module}.*", node, why=why)
        elif classify(module):
            self.add(*classify(module), node, why=why)
        elif _is_stdlib(root) or module in PURE_MODULES:
            self.add("unlisted member", f"{module}.*", node, why=why)
        else:
            self.add("unlisted module", module, node, why=WHY_MODULE)

    def kind(self, node: ast.AST) -> str:
        if id(node) in self.decorators:
            return "decorator"
        return "call" if id(node) in self.direct else "load"

    def visit_Attribute(self, node: ast.Attribute) -> None:
        names = self.resolve(node)
        self.attribute_name(node.attr, node)
        if node.attr in FILE_METHODS and not names:
            self.add("file access", "." + node.attr, node)
        if node.attr in FORMAT_METHODS and not self.resolve(node.value) \
                and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.dynamic_format(node)
        if isinstance(node.value, (ast.Attribute, ast.Name)):
            self.chain_parts.add(id(node.value))
        if id(node) not in self.chain_parts:   # the outermost attribute names the whole chain
            if not isinstance(node.ctx, ast.Load) and self.resolve(node.value):
                self.assigned(self.resolve(node.value), node.attr, node)
            else:
                for dotted in sorted(names):
                    self.judge(dotted, node, self.kind(node))
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        value = node.value
        if not isinstance(node.ctx, ast.Load) and isinstance(value, ast.Attribute) \
                and value.attr == "__dict__" and self.resolve(value.value):
            key = node.slice.value if isinstance(node.slice, ast.Constant) else "__dict__[...]"
            self.assigned(self.resolve(value.value), str(key), node)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        if node.id in self.imports:
            if id(node) in self.chain_parts:   # read with the chain it starts
                return
            for dotted in sorted(self.imports[node.id]):
                if self.kind(node) == "load" and self.stdlib_module(dotted):
                    self.module_value(dotted, node)
                else:
                    self.judge(dotted, node, self.kind(node))
        elif _is_dunder(node.id) and node.id != "__class__":
            self.add(DUNDER_NAMES.get(node.id, "introspection"), node.id, node)
        elif node.id in REFUSED_BUILTINS:
            self.add(REFUSED_BUILTINS[node.id], node.id, node)
        elif node.id in ATTRIBUTE_FUNCTIONS and id(node) not in self.direct:
            self.add("dynamic code", f"{node.id} (as a value)", node, why="its attribute names cannot be read")
        elif node.id == "hash" and id(node) not in self.direct:
            self.add("harness probing", "hash (as a value)", node, why="hash values reveal the hash seed")

    def stdlib_module(self, dotted: str) -> bool:
        """A stdlib module outside the pure set (pure ones are judged as members)."""
        root = dotted.split(".")[0]
        if not root or root in self.allowed.own or not _is_stdlib(root):
            return False
        if any(dotted == m or dotted.startswith(m + ".") for m in PURE_MODULES):
            return False
        return dotted in self.module_names or inspect.ismodule(_loaded(dotted))

    def module_value(self, dotted: str, node: ast.AST) -> None:
        """A stdlib module passed around as a value: it would hide which of its names are used."""
        self.reached.add(dotted)
        if dotted in self.allowed.reached:
            return
        root = dotted.split(".")[0]
        found = classify(root)
        if dotted in GUARDED_MODULES:
            capability = GUARDED_MODULES[dotted]
        elif found:
            capability = found[0]
        else:
            capability = "unlisted member" if self.allowed.imports_root(root) else "unlisted module"
        self.add(capability, f"{dotted} (as a value)", node,
                 why="a module passed around hides which of its names are used")

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str):
            return
        text = node.value
        if _is_dunder(text) and text.isidentifier() and text not in SPECIAL_ATTRIBUTES:
            self.add(DUNDER_NAMES.get(text, "introspection"), text, node, "as a string")
        if "{" in text:
            for attr in _format_attributes(text):
                self.attribute_name(attr, node, "in a format string")

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for attr in node.kwd_attrs:
            self.attribute_name(attr, node, "in a match pattern")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, (ast.Name, ast.Attribute)):
                self.decorators.add(id(target))
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def assigned(self, modules: set[str], attr: str, node: ast.AST) -> None:
        """An attribute of an imported module set or deleted: the timer, or any other patch."""
        for module in sorted(modules):
            self.add("timer" if module == "time" else "monkeypatching", f"{module}.{attr} (assigned)", node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.imports:
            if func.id in ATTRIBUTE_FUNCTIONS:
                self.direct.add(id(func))
                self.attribute_function(func.id, node)
            elif func.id == "hash":
                self.direct.add(id(func))
                if len(node.args) == 1 and not node.keywords and not _has_name(node.args[0]):
                    self.add("harness probing", "hash of a constant", node,
                             why="compared with a constant it reveals the hash seed")
        elif isinstance(func, ast.Attribute) and func.attr == "__hash__" and not _has_name(func.value):
            self.add("harness probing", "hash of a constant", node,
                     why="compared with a constant it reveals the hash seed")
        if isinstance(func, (ast.Name, ast.Attribute)):
            getters = self.resolve(func) & ATTRGETTERS
            if getters:
                self.direct.add(id(func))
                self.attrgetter(sorted(getters)[0], node)
        self.generic_visit(node)

    def attrgetter(self, getter: str, node: ast.Call) -> None:
        """operator.attrgetter("a.b") reads like .a.b; methodcaller("name", ...) like .name()."""
        names = node.args if getter == "operator.attrgetter" else node.args[:1]
        constant = names and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in names)
        if not constant or (getter == "operator.attrgetter" and node.keywords):
            self.add("dynamic code", f"{getter} with a computed name", node,
                     why="its attribute names cannot be read")
            return
        how = "in " + getter
        for arg in names:
            for attr in arg.value.split("."):
                self.attribute_name(attr, node, how)
                if getter == "operator.methodcaller" and attr in FORMAT_METHODS:
                    self.dynamic_format(node, how)

    def attribute_function(self, function: str, node: ast.Call) -> None:
        """getattr(x, "name") reads like x.name; with a computed name it cannot be read."""
        args = node.args
        if len(args) < 2 or any(isinstance(a, ast.Starred) for a in args[:2]) \
                or not (isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)):
            self.add("dynamic code", f"{function} with a computed name", node,
                     why="its attribute names cannot be read")
            return
        attr, bases = args[1].value, self.resolve(args[0])
        if isinstance(args[0], (ast.Attribute, ast.Name)):
            self.chain_parts.add(id(args[0]))   # read as the chain `x.name`, not `x` alone
        if function in ("setattr", "delattr") and bases:
            self.assigned(bases, attr, node)
            return
        self.attribute_name(attr, node, f"through {function}")
        if attr in FORMAT_METHODS and not bases:
            self.dynamic_format(node, f"through {function}")
        if attr in FILE_METHODS and not bases:
            self.add("file access", "." + attr, node)
        for base in sorted(bases):
            self.judge(f"{base}.{attr}", node, "load")


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except ValueError as exc:   # a null byte
        raise SyntaxError(str(exc)) from None
    except RecursionError:      # code too deeply nested to read is refused like code that won't parse
        raise SyntaxError("too deeply nested to check") from None


def _run(tree: ast.Module, allowed: _Allowed) -> _Scanner:
    imports, modules = _imports(tree)
    scanner = _Scanner(imports, allowed, modules)
    try:
        scanner.visit(tree)
    except RecursionError:   # code too deeply nested to read is refused like code that won't parse
        raise SyntaxError("too deeply nested to check") from None
    return scanner


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.line, f.capability, f.what))


def _grants(tree: ast.Module, own: frozenset[str]) -> tuple[_Allowed, set[tuple[str, str]]]:
    """What the original grants, and every (capability, what) it uses itself."""
    scanner = _run(tree, _Allowed(own=own))
    absolute = {m for m in scanner.modules | scanner.reached if not m.startswith(".")}
    third_party = frozenset(m.split(".")[0] for m in absolute if not _is_stdlib(m.split(".")[0]))
    allowed = _Allowed(own=own, modules=frozenset(scanner.modules), reached=frozenset(scanner.reached),
                       third_party=third_party, stars=frozenset(scanner.stars))
    return allowed, {(f.capability, f.what) for f in scanner.findings}


def uses(source: str, own_packages: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    """Every (capability, what) the file uses, granted nothing by an original. Raises SyntaxError
    on bad code."""
    return {(f.capability, f.what) for f in _run(_parse(source), _Allowed(own=own_packages)).findings}


def check(original: str, candidate: str, *, own_packages: frozenset[str] = frozenset()) -> list[Finding]:
    """What the candidate reaches that the allow-list and the original do not grant, each
    (capability, what) at its first line, sorted by line. `own_packages`: the top-level
    package names of the user's repository. Raises SyntaxError if the candidate does not parse
    or is too deeply nested to read; an original that does not parse grants nothing."""
    try:
        allowed, used = _grants(_parse(original), frozenset(own_packages))
    except SyntaxError:
        allowed, used = _Allowed(own=frozenset(own_packages)), set()
    first: dict[tuple[str, str], Finding] = {}
    for finding in _sorted(_run(_parse(candidate), allowed).findings):
        key = (finding.capability, finding.what)
        if key not in used:
            first.setdefault(key, finding)
    return list(first.values())   # by line


def _shown(finding: Finding, said: str = "") -> str:
    text = finding.what + (f" {finding.how}" if finding.how else "") + f", line {finding.line}"
    return text + (f": {finding.why}" if finding.why and finding.why != said else "")


def describe(findings: list[Finding]) -> str:
    """One line: "uses network (socket.create_connection, line 4) and file access (open, line 7),
    which the original does not"."""
    if not findings:
        return ""
    grouped: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: f.line):
        grouped.setdefault(finding.capability, []).append(finding)
    parts = []
    for capability, group in grouped.items():
        names, said = [], ""
        for finding in group[:NAMES_PER_CAPABILITY]:   # each reason once, at its first name
            names.append(_shown(finding, said))
            said = finding.why or said
        if len(group) > NAMES_PER_CAPABILITY:
            names.append(f"{len(group) - NAMES_PER_CAPABILITY} more")
        parts.append(f"{capability} ({'; '.join(names)})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"uses {listed}, which the original does not"


def granted_routes(module_imports: tuple[str, ...] | list[str], definition: str,
                   own_packages: frozenset[str] = frozenset()) -> list[str]:
    """What a passing definition uses only because the original's module grants it (a name of
    `os`, `sys`, a third-party module, ...): routes the allow-list does not hold, so only the
    sandbox does. For a warning in the report; [] when it uses nothing outside the allow-list.
    `module_imports`: the import statements of the module and those the candidate adds."""
    header = "\n".join(module_imports)
    try:
        findings = _run(_parse(header + "\n" + definition), _Allowed(own=own_packages)).findings
    except SyntaxError:
        return []
    first_line = header.count("\n") + 2   # findings on the import lines only restate the imports
    return sorted({f"{f.what} ({f.capability})" for f in findings if f.line >= first_line})
