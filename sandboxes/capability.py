"""A static check of what a candidate can reach, run before anything executes it.

A candidate is model-written Python: the whole text of one file in which one
function was rewritten. A faster version of a function has no reason to open
sockets, read the environment, spawn processes, patch the timer or walk the
interpreter's internals; a model that does so is confused, or was manipulated
by text in the code it read. So the check compares the candidate file with the
original file and reports every capability the candidate uses that the
original did not, and such a candidate is rejected with the capability named.

It is the first gate, not the last: it reads names as written, after resolving
imports, and attempts no data flow. What gets past it runs inside the sandbox,
which contains it. Routes that would hide a name from this reading (a computed
`getattr`, `globals()`, `__import__`, a module passed around as a value, a star
import of a guarded module) are flagged as uses in their own right, not followed.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

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
}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _each(capability: str, text: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), capability)


# A module listed here is a use wherever it appears: imported, or any name under it.
MODULES: dict[str, str] = {
    **_each("file access", "shutil tempfile pathlib fileinput glob sqlite3 dbm shelve"),
    **_each("processes and threads",
            "subprocess multiprocessing concurrent threading _thread pty signal asyncio sched"),
    **_each("network", "socket ssl http urllib ftplib smtplib poplib imaplib telnetlib xmlrpc "
                       "socketserver requests httpx aiohttp urllib3 websocket websockets paramiko"),
    **_each("dynamic code", "importlib runpy code codeop marshal pickle dill builtins"),
    **_each("ctypes", "ctypes _ctypes cffi mmap"),
    **_each("timer", "timeit"),
    **_each("test machinery", "pytest _pytest unittest doctest gc tracemalloc faulthandler atexit "
                              "inspect dis trace cProfile profile pdb bdb sysconfig site"),
}

# Members of otherwise harmless modules (`import os` alone is not a use).
MEMBERS: dict[str, str] = {
    **_each("file access", "io.open os.open os.remove os.unlink os.rename os.replace os.rmdir "
                           "os.removedirs os.mkdir os.makedirs os.write os.truncate os.chmod "
                           "os.chown os.link os.symlink os.utime os.listdir os.scandir os.walk"),
    **_each("processes and threads",
            "os.system os.popen os.fork os.forkpty os.kill os.killpg os._exit os.abort"),
    **_each("environment", "os.environ os.environb os.getenv os.getenvb os.putenv os.unsetenv "
                           "sys.argv sys.orig_argv"),
    **_each("dynamic code", "types.FunctionType types.CodeType types.ModuleType"),
    **_each("timer", "time.perf_counter time.perf_counter_ns time.process_time "
                     "time.process_time_ns time.monotonic time.monotonic_ns time.time "
                     "time.time_ns time.thread_time time.thread_time_ns time.clock_gettime "
                     "time.clock_gettime_ns time.get_clock_info"),
}
MEMBER_PREFIXES: dict[str, str] = _each("processes and threads", "os.exec os.spawn os.posix_spawn")

# Every other member of these is a use: the harmless ones are the exceptions.
OS_HARMLESS = _names("path sep linesep pathsep fspath cpu_count name curdir pardir extsep "
                     "altsep devnull")
SYS_HARMLESS = _names("maxsize maxunicode float_info int_info hash_info version_info version "
                      "byteorder intern getrecursionlimit setrecursionlimit getsizeof platform "
                      "implementation float_repr_style get_int_max_str_digits "
                      "set_int_max_str_digits")

# Modules whose members are guarded one by one: passing the module itself around
# or star-importing it would hide those members, so that is a use too.
GUARDED_MODULES: dict[str, str] = {"os": "operating system", "sys": "test machinery",
                                   "time": "timer", "types": "dynamic code"}

BUILTINS: dict[str, str] = {
    "open": "file access", "input": "environment", "id": "object identity",
    **_each("dynamic code", "eval exec compile __import__ globals vars locals breakpoint"),
}

# Attribute names that are a use on whatever object they are reached through.
# File methods count only where the object's origin is unknown (`os.mkdir` is read
# as itself); the internals count everywhere.
FILE_METHODS = _names("write_text write_bytes read_text read_bytes unlink rmdir touch mkdir "
                      "chmod symlink_to hardlink_to")
INTERNALS = _names("__subclasses__ __globals__ __builtins__ __code__ __closure__ __bases__ "
                   "__mro__ __base__ __getattribute__ __reduce__ __reduce_ex__ __loader__ "
                   "__spec__ f_back f_globals f_locals f_builtins f_code gi_frame cr_frame "
                   "ag_frame tb_frame tb_next")

ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "delattr", "hasattr"}
NAMES_PER_CAPABILITY = 3   # in describe(); the rest are counted


@dataclass(frozen=True)
class Finding:
    capability: str   # a key of CAPABILITIES
    what: str         # the name as written, after resolving imports
    line: int         # in the candidate


def classify(dotted: str) -> tuple[str, str] | None:
    """(capability, what) for a fully resolved dotted name, or None if harmless."""
    parts = dotted.split(".")
    if parts[0] in MODULES:
        return MODULES[parts[0]], dotted
    if len(parts) < 2:
        return None
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
    return None


def _imports(tree: ast.AST) -> dict[str, set[str]]:
    """Each name an import binds anywhere in the file -> the dotted names it may mean."""
    bound: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import os.path` binds `os`; `import os.path as p` binds `p` to os.path.
                name = alias.asname or alias.name.split(".")[0]
                bound.setdefault(name, set()).add(alias.name if alias.asname else name)
        elif isinstance(node, ast.ImportFrom):
            # A relative import names the project's own module, never the stdlib one.
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    name = alias.asname or alias.name
                    bound.setdefault(name, set()).add(f"{module}.{alias.name}")
    return bound


class _Scanner(ast.NodeVisitor):
    def __init__(self, imports: dict[str, set[str]]):
        self.imports = imports
        self.findings: list[Finding] = []
        # ids of the inner nodes of attribute chains: `os.environ.get` is read once, as a whole
        self.chain_parts: set[int] = set()

    def add(self, capability: str, what: str, node: ast.AST) -> None:
        self.findings.append(Finding(capability, what, node.lineno))

    def add_dotted(self, dotted: str, node: ast.AST) -> None:
        found = classify(dotted)
        if found:
            self.add(*found, node)

    def resolve(self, node: ast.AST) -> set[str]:
        """The dotted names a Name/Attribute chain rooted at an imported name may mean."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, set())
        if isinstance(node, ast.Attribute):
            return {f"{base}.{node.attr}" for base in self.resolve(node.value)}
        return set()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add_dotted(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for alias in node.names:
            if alias.name != "*":
                self.add_dotted(f"{node.module}.{alias.name}", node)
            elif node.module in GUARDED_MODULES:
                self.add(GUARDED_MODULES[node.module], f"{node.module}.*", node)
            else:
                self.add_dotted(node.module, node)

    def attribute_name(self, attr: str, resolved: set[str], node: ast.AST) -> None:
        if attr in INTERNALS:
            self.add("introspection", attr, node)
        elif attr in FILE_METHODS and not resolved:
            self.add("file access", "." + attr, node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        names = self.resolve(node)
        self.attribute_name(node.attr, names, node)
        if isinstance(node.value, (ast.Attribute, ast.Name)):
            self.chain_parts.add(id(node.value))
        if id(node) not in self.chain_parts:   # the outermost attribute names the whole chain
            if not isinstance(node.ctx, ast.Load) and self.resolve(node.value):
                self.assigned(self.resolve(node.value), node.attr, node)
            else:
                for dotted in names:
                    self.add_dotted(dotted, node)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if id(node) in self.chain_parts or not isinstance(node.ctx, ast.Load):
            return
        if node.id == "__builtins__":
            self.add("introspection", node.id, node)
        elif node.id in self.imports:
            for dotted in self.imports[node.id]:
                if dotted in GUARDED_MODULES:
                    self.add(GUARDED_MODULES[dotted], f"{dotted} (as a value)", node)
                else:
                    self.add_dotted(dotted, node)
        elif node.id in BUILTINS:
            self.add(BUILTINS[node.id], node.id, node)

    def assigned(self, modules: set[str], attr: str, node: ast.AST) -> None:
        """An attribute of an imported module set or deleted: the timer, or any other patch."""
        for module in modules:
            self.add("timer" if module == "time" else "monkeypatching", f"{module}.{attr} (assigned)", node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ATTRIBUTE_FUNCTIONS \
                and func.id not in self.imports:
            self.attribute_function(func.id, node)
        self.generic_visit(node)

    def attribute_function(self, function: str, node: ast.Call) -> None:
        """getattr(x, "name") reads like x.name; with a computed name it cannot be read."""
        args = node.args
        if len(args) < 2 or any(isinstance(a, ast.Starred) for a in args[:2]) \
                or not (isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)):
            self.add("dynamic code", f"{function} with a computed name", node)
            return
        attr, bases = args[1].value, self.resolve(args[0])
        if isinstance(args[0], (ast.Attribute, ast.Name)):
            self.chain_parts.add(id(args[0]))   # read as the chain `x.name`, not `x` alone
        if function in ("setattr", "delattr") and bases:
            self.assigned(bases, attr, node)
        else:
            self.attribute_name(attr, bases, node)
            for base in bases:
                self.add_dotted(f"{base}.{attr}", node)


def _scan(source: str) -> list[Finding]:
    try:
        tree = ast.parse(source)
        scanner = _Scanner(_imports(tree))
        scanner.visit(tree)
    except RecursionError:   # code too deeply nested to read is refused like code that won't parse
        raise SyntaxError("too deeply nested to check") from None
    return sorted(scanner.findings, key=lambda f: (f.line, f.capability, f.what))


def uses(source: str) -> set[tuple[str, str]]:
    """Every (capability, what) the file uses. Raises SyntaxError on bad code."""
    return {(f.capability, f.what) for f in _scan(source)}


def check(original: str, candidate: str) -> list[Finding]:
    """Uses in the candidate that the original lacks, each at its first line, sorted by line."""
    try:
        allowed = uses(original)
    except SyntaxError:
        allowed = set()
    first: dict[tuple[str, str], Finding] = {}
    for finding in _scan(candidate):
        key = (finding.capability, finding.what)
        if key not in allowed:
            first.setdefault(key, finding)
    return list(first.values())   # _scan's order: by line


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
        names = [f"{f.what}, line {f.line}" for f in group[:NAMES_PER_CAPABILITY]]
        if len(group) > NAMES_PER_CAPABILITY:
            names.append(f"{len(group) - NAMES_PER_CAPABILITY} more")
        parts.append(f"{capability} ({'; '.join(names)})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"uses {listed}, which the original does not"
