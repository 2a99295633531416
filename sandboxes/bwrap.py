"""The `bwrap` backend: bubblewrap's namespaces on top of the process backend's limits.

Inside, the candidate sees a minimal file system, built up from an empty root:
- read-only: /usr and the system directories beside it (/bin, /sbin, /lib, /lib64,
  /lib32, /libx32: symlinks where they are symlinks on a merged-/usr system); the
  few /etc files a program needs (`ETC_FILES`: the loader's cache and config, passwd,
  group, nsswitch.conf, hosts, localtime, alternatives, CA certificates, mime.types...;
  never shadow, gshadow, sudoers, /etc/ssl/private); the interpreter and its import
  path (sys.prefix, sys.base_prefix, sys.exec_prefix, the real directory of
  sys.executable, every sys.path entry that exists); the optimizer's own packages;
  the folder holding the workspace (the original's recorded calls and outcomes are
  kept there), unless that is a shared folder such as /tmp;
- a fresh /dev (null, zero, random, tty...), its own /proc, and a private /tmp: a tmpfs
  of at most TMP_BYTES (512 MiB of memory; a write beyond fails with ENOSPC);
- HOME at the user's real home path, as an empty tmpfs of at most HOME_BYTES (64 MiB;
  only the folders of the paths above that live under home show up in it);
- read-write: the workspace (at its own path and, with `shown_as`, at the user's
  repository path: its cwd, `__file__`s and sys.path read as in a plain run in the
  repository) and the paths given as `writable`;
- nothing else: no other home or project folders, no /root, /run, /var, /srv, /mnt,
  /sys, so no host Unix sockets (agent, docker, dbus) either;
- no network (a new, empty network namespace), its own pid, IPC and UTS namespaces
  (all of it dies with the sandbox), a new session (no terminal injection), no
  capabilities when started by root;
- the process backend's limits: CPU time, memory, processes, file size, output kept
  to its first and last 64 KiB, disk growth of the workspace's file system (see
  `process.run_contained`), a kill of everything on timeout.

What still tells it apart from a plain run: /proc/self/mountinfo lists the binds, the
workspace holds a `.home` folder of the optimizer's, and PATH may name folders that
are not shown. Host-side code that reads paths a run wrote maps `shown_path(ws)`
back to the workspace (profilers.sampling does, for sampled file names).
"""
from __future__ import annotations

import ast
import functools
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

from .base import Limits, RunResult, scrubbed_env
from .process import run_contained

TMP_BYTES = 512 * 1024**2
HOME_BYTES = 64 * 1024**2

# Beside /usr: a symlink into it on merged-/usr systems, a directory elsewhere.
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
# What a Python program (and sh, valgrind) reads in /etc. Never: shadow, gshadow,
# sudoers, ssl/private, machine-id, the host's resolv.conf (there is no network).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf", "host.conf",
             "hosts", "localtime", "timezone", "alternatives", "ssl/certs", "ssl/openssl.cnf",
             "ca-certificates", "pki/tls/certs", "pki/ca-trust/extracted", "mime.types", "os-release",
             "python3*")
# Folders shared with other users and programs: never shown whole.
_SHARED = ("/", "/tmp", "/var/tmp", "/dev/shm", "/var", "/home", "/root", "/run", "/srv", "/mnt", "/opt")


class BwrapSandbox:
    name = "bwrap"
    isolates_files = True

    def __init__(self, shown_as: Path | str | None = None):
        """shown_as: the user's repository; every workspace is shown at its path."""
        self.shown_as = Path(shown_as).resolve() if shown_as else None
        self.pythons: tuple[str, ...] = ()   # other interpreters shown, read-only (the project's own)

    def show_interpreter(self, executable: str) -> None:
        """Show another Python too (its prefix, its import path), read-only: the
        repository's own environment, which its code runs in (optimizer/interpreter.py)."""
        if executable not in self.pythons:
            self.pythons += (executable,)

    def shown_path(self, workspace: Path, writable: Sequence[Path] = ()) -> Path | None:
        """Where the workspace is shown inside (None: at its own path). Not when the
        repository path would clash with what else is mounted: /, /tmp or a system or
        interpreter folder inside it, the home directory, the workspace or a writable
        path inside it, or it inside /proc, /dev or the workspace."""
        shown = self.shown_as
        workspace = Path(workspace).resolve()
        if shown is None or shown == workspace:
            return None
        home = _shown_home()
        mounted = ["/tmp", "/usr", "/etc", "/dev", "/proc", *SYSTEM_DIRS, *_interpreter_paths(self.pythons),
                   str(workspace), *(str(Path(p).resolve()) for p in writable), *([home] if home else [])]
        if any(_within(m, str(shown)) for m in mounted):
            return None
        if any(_within(str(shown), top) for top in ("/proc", "/dev", str(workspace))):
            return None
        return shown

    def run(self, cmd: Sequence[str], workspace: Path, env: Mapping[str, str] | None = None,
            limits: Limits = Limits(), timeout: float = 600.0, writable: Sequence[Path] = (),
            stdin: str | None = None) -> RunResult:
        env = dict(env) if env is not None else scrubbed_env(workspace)
        env.update(TMPDIR="/tmp", TMP="/tmp", TEMP="/tmp")
        home = _shown_home()
        if home:
            env["HOME"] = home
        cmd = list(cmd)
        shown = self.shown_path(workspace, writable)
        if shown:
            show = _shower(workspace, shown)
            cmd = [show(a) for a in cmd]
            env = {k: show(v) for k, v in env.items()}
        return run_contained(bwrap_argv(workspace, writable, shown, self.pythons) + cmd, workspace, env, limits, timeout,
                             signal_of=lambda rc: rc - 128 if rc > 128 else -rc if rc < 0 else 0, stdin=stdin,
                             watch=[Path(p) for p in writable])


def bwrap_argv(workspace: Path, writable: Sequence[Path] = (), shown: Path | None = None,
               pythons: tuple[str, ...] = ()) -> list[str]:
    """bwrap's arguments up to `--`. Mount order matters: the tmpfs of /tmp and of home
    come before the binds that may lie inside them, the workspace's shown bind last."""
    workspace = Path(workspace).resolve()
    args = ["bwrap", "--ro-bind", "/usr", "/usr"]
    for path in SYSTEM_DIRS:
        args += _ro(path)
    for pattern in ETC_FILES:
        for path in sorted(glob.glob(os.path.join("/etc", pattern))):
            args += _ro(path)
    args += ["--dev", "/dev", "--proc", "/proc", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    home = _shown_home()
    if home:
        args += ["--size", str(HOME_BYTES), "--tmpfs", home]
    for path in _interpreter_paths(pythons):
        args += ["--ro-bind", os.path.realpath(path), path]
    parent = str(workspace.parent)
    if not any(_within(p, parent) for p in (*_SHARED, *([home] if home else []))):   # not / nor /tmp...
        args += ["--ro-bind", parent, parent]
    for path in [workspace, *writable]:
        path = str(Path(path).resolve())
        args += ["--bind", path, path]
    if shown:
        args += ["--bind", str(workspace), str(shown)]
    args += ["--remount-ro", "/"]   # the root holding the mount points: no writes beside the mounts
    args += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
             "--new-session", "--die-with-parent", "--chdir", str(shown or workspace)]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]   # else root inside could remount the read-only binds
    return args + ["--"]


def _ro(path: str) -> list[str]:
    """A symlink as the same symlink (its target is shown or not on its own), else a read-only bind."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    return ["--ro-bind-try", path, path]


def _within(path: str, top: str) -> bool:
    """path is top or lies inside it."""
    return path == top or path.startswith(top.rstrip("/") + "/")


@functools.cache
def _shown_home() -> str:
    """The user's home path, shown as an empty tmpfs ('' when it cannot be: it is / or
    holds or lies in a system folder)."""
    home = os.path.abspath(str(Path.home()))
    system = ("/usr", "/etc", "/dev", "/proc", *SYSTEM_DIRS)
    if any(_within(s, home) for s in (*system, "/tmp")) or any(_within(home, s) for s in system):
        return ""
    return home


@functools.cache
def _interpreter_paths(pythons: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The interpreter, its import path (as a fresh run of it sees it) and the
    optimizer's packages and other editable installs: the sandboxed Python is this
    one, and finds its packages (the optimizer's bootstrap too) there; and the same of
    each of `pythons` (the repository's own environment, when its code runs there).
    Each at its own path and at its real path; none that would show /tmp, home or a
    shared folder whole, none already inside /usr."""
    root = Path(__file__).resolve().parent.parent
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             *(str(root / pkg) for pkg in ("optimizer", "sandboxes", "profilers"))}
    import_path = _import_path(sys.executable)
    for python in pythons:
        paths.update({os.path.dirname(os.path.abspath(python)), os.path.dirname(os.path.realpath(python))})
        import_path += _import_path(python, prefixes=True)
    paths.update(import_path)
    paths.update(_editable_dirs(import_path))
    home = _shown_home()
    keep: set[str] = set()
    for path in paths:
        if not os.path.exists(path):
            continue
        for form in {os.path.abspath(path), os.path.realpath(path)}:
            if _within(form, "/usr") or any(_within(s, form) for s in (*_SHARED, *([home] if home else []))):
                continue
            keep.add(form)
    ordered: list[str] = []
    for path in sorted(keep, key=lambda p: (p.count("/"), p)):   # outer before inner; an inner one is
        if not any(_within(path, outer) for outer in ordered):      # already shown by its outer one
            ordered.append(path)
    return tuple(ordered)


def _import_path(python: str, prefixes: bool = False) -> list[str]:
    """sys.path as a sandboxed run of `python` starts with it: without this process's
    script folder or cwd (sys.path[0], pytest's rootdir...), with the folders .pth files
    add; with `prefixes`, its prefix, base prefix and exec prefix too. Falls back to
    this process's sys.path without its first entry."""
    code = "import sys, json; print(json.dumps(sys.path[1:] + ([sys.prefix, sys.base_prefix, sys.exec_prefix] " \
           f"if {prefixes} else [])))"
    try:
        out = subprocess.run([python, "-E", "-s", "-c", code], capture_output=True, text=True, timeout=30,
                             cwd="/").stdout
        paths = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        paths = sys.path[1:] if python == sys.executable else []
    return [p for p in paths if isinstance(p, str) and os.path.isabs(p) and os.path.exists(p)]


def _editable_dirs(import_path: Sequence[str]) -> list[str]:
    """The source folders of packages installed in editable mode through setuptools'
    finder (a MAPPING of package -> folder, not on sys.path), this optimizer's among them."""
    found: list[str] = []
    for site in import_path:
        for finder in glob.glob(os.path.join(glob.escape(site), "__editable___*_finder.py")):
            try:
                for line in Path(finder).read_text().splitlines():
                    if line.startswith(("MAPPING", "NAMESPACES")) and "=" in line:
                        value = ast.literal_eval(line.split("=", 1)[1].strip())
                        for item in value.values():
                            found += [item] if isinstance(item, str) else list(item)
            except (OSError, ValueError, SyntaxError):
                continue
    return [p for p in found if isinstance(p, str) and os.path.isabs(p)]


def _shower(workspace: Path, shown: Path):
    """Rewrites the workspace's path (as given and resolved) to the shown path, where it
    is a whole path component (…/cand1 but not …/cand10)."""
    forms = sorted({str(workspace), str(Path(workspace).resolve())}, key=len, reverse=True)
    pattern = re.compile("(?:" + "|".join(map(re.escape, forms)) + r")(?=$|[/\s:;,'\"=)\]}>])")
    replacement = str(shown)
    return lambda text: pattern.sub(lambda _: replacement, text)


@functools.cache
def bwrap_problem() -> str:
    """Why bwrap cannot be used here ('' when it can): not installed, or the kernel
    or container refuses the namespaces. Probed once per process."""
    with tempfile.TemporaryDirectory(prefix="optimize-probe-") as tmp:
        try:
            result = subprocess.run(bwrap_argv(Path(tmp)) + ["true"], capture_output=True, text=True, timeout=30)
        except FileNotFoundError:
            return "bubblewrap is not installed (Debian/Ubuntu: apt-get install -y bubblewrap)"
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap does not start: {exc}"
    if result.returncode != 0:
        return "bubblewrap cannot create its namespaces here: " + (result.stderr.strip().splitlines() or ["?"])[-1]
    return ""
