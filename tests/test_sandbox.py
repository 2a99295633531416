"""Both sandbox backends: what each contains, run directly (no optimizer around them)."""
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

import sandboxes
from sandboxes import BwrapSandbox, Limits, ProcessSandbox, SandboxUnavailable, get_sandbox, scrubbed_env
from sandboxes.cgroup import PidsGroup

HAS_BWRAP = not sandboxes.bwrap_problem()
HAS_PIDS_CGROUP = (lambda g: bool(g) and (g.close() or True))(PidsGroup.make(8))
BACKENDS = [ProcessSandbox(), pytest.param(BwrapSandbox(), marks=pytest.mark.skipif(
    not HAS_BWRAP and not os.environ.get("OPTIMIZE_REQUIRE_BWRAP"), reason="bubblewrap does not work here"))]
BACKEND_IDS = ["process", "bwrap"]


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.fixture(params=BACKENDS, ids=BACKEND_IDS)
def sandbox(request):
    return request.param


def test_result_of_a_normal_run(sandbox, tmp_path):
    r = sandbox.run(py("print('hi')"), tmp_path, timeout=30)
    assert r.ok and r.stdout.strip() == "hi" and not r.timed_out and r.seconds > 0
    assert r.limit == "" and 1_000_000 < r.peak_bytes < 1_000_000_000   # a Python process, in bytes


def test_timeout_kills_everything_it_started(sandbox, tmp_path):
    """Even a grandchild that left the process group with setsid()."""
    marker = tmp_path / "child.pid"
    code = ("import os, subprocess, sys, time;"
            "p = subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(60)']);"
            f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    start = time.monotonic()
    r = sandbox.run(py(code), tmp_path, timeout=3)
    assert r.timed_out and r.limit == "timeout" and not r.ok and time.monotonic() - start < 20
    assert "timed out" in r.why_stopped()
    if sandbox.name == "process" and not HAS_PIDS_CGROUP:
        pytest.skip("without a pids cgroup, a setsid() grandchild escapes the process backend")
    time.sleep(0.3)
    assert not _alive_with_cmdline("time.sleep(60)")


def _alive_with_cmdline(fragment: str) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split()[2]
        except (OSError, IndexError):
            continue
        if fragment in cmdline and "setsid" in cmdline and state != "Z":
            return True
    return False


def test_environment_is_scrubbed(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("MY_TOKEN", "t0ken")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    env = scrubbed_env(tmp_path)
    r = sandbox.run(py("import os; print(dict(os.environ))"), tmp_path, env=env, timeout=30)
    assert r.ok and "secret" not in r.stdout and "t0ken" not in r.stdout
    assert env["HOME"].startswith(str(tmp_path))


def test_memory_limit(sandbox, tmp_path):
    code = "hog = []\nwhile True:\n    hog.append(bytearray(32 * 1024**2))"
    r = sandbox.run(py(code), tmp_path, limits=Limits(memory_bytes=512 * 1024**2), timeout=30)
    assert not r.ok and r.limit == "memory" and "MemoryError" in r.stderr


def test_cpu_limit(sandbox, tmp_path):
    r = sandbox.run(py("while True: pass"), tmp_path, limits=Limits(cpu_seconds=1), timeout=30)
    assert not r.ok and r.limit == "cpu time" and r.killed_by_limit


def test_fork_bomb_is_capped_and_cleaned_up(sandbox, tmp_path):
    if sandbox.name == "process" and not HAS_PIDS_CGROUP:
        pytest.skip("no pids cgroup here; RLIMIT_NPROC does not bind root")
    code = "import os, time\nwhile True:\n    os.fork()"
    r = sandbox.run(py(code), tmp_path, limits=Limits(max_processes=64), timeout=20)
    assert not r.ok and r.limit in ("processes", "timeout")
    time.sleep(0.3)
    assert _count_processes_running(code) == 0


def _count_processes_running(code: str) -> int:
    needle = code.encode()
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            if needle in (entry / "cmdline").read_bytes() and (entry / "stat").read_text().split()[2] != "Z":
                count += 1
        except (OSError, IndexError):
            continue
    return count


def test_private_temporary_directory(sandbox, tmp_path):
    code = ("import os, tempfile; d = tempfile.gettempdir(); open(os.path.join(d, 'left-behind'), 'w').write('x');"
            "print(d)")
    r = sandbox.run(py(code), tmp_path, timeout=30)
    assert r.ok
    inside = r.stdout.strip()
    assert not (Path(inside) / "left-behind").exists()   # gone with the run (bwrap: its own tmpfs)


def test_missing_program_is_a_result_not_an_exception(sandbox, tmp_path):
    r = sandbox.run(["/nonexistent/prog"], tmp_path, timeout=5)
    assert r.returncode != 0 and not r.ok


# --- what only bwrap contains ---------------------------------------------------------

needs_bwrap = pytest.mark.skipif(not HAS_BWRAP and not os.environ.get("OPTIMIZE_REQUIRE_BWRAP"),
                                 reason="bubblewrap does not work here")


@needs_bwrap
def test_bwrap_file_system_is_read_only_outside_the_workspace(tmp_path):
    outside = Path(__file__).parent / "no-such-file-from-the-sandbox"   # the checkout: not under /tmp
    extra = tmp_path / "extra"
    extra.mkdir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    code = (f"import pathlib\n"
            f"for p in [{str(outside)!r}, '/etc/optimize-was-here', {str(tmp_path / 'sibling')!r}]:\n"
            f"    try:\n        pathlib.Path(p).write_text('x'); print('WROTE', p)\n"
            f"    except OSError as e:\n        print('refused', e.errno)\n"
            f"pathlib.Path('inside').write_text('ok')\n"
            f"pathlib.Path({str(extra / 'out')!r}).write_text('ok')\n")
    r = BwrapSandbox().run(py(code), workspace, timeout=30, writable=[extra])
    assert r.ok, r.stderr
    assert "WROTE" not in r.stdout and r.stdout.count("refused") == 3
    assert not outside.exists() and not Path("/etc/optimize-was-here").exists()
    assert (workspace / "inside").read_text() == "ok" and (extra / "out").read_text() == "ok"


@needs_bwrap
def test_bwrap_has_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted = []

    def accept():
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            try:
                accepted.append(server.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    port = server.getsockname()[1]
    code = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            f"    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e)\n"
            f"try:\n    socket.getaddrinfo('pypi.org', 443)\n    print('RESOLVED')\n"
            f"except OSError as e:\n    print('no dns', e)\n")
    r = BwrapSandbox().run(py(code), tmp_path, timeout=30)
    thread.join()
    server.close()
    assert r.ok and "CONNECTED" not in r.stdout and "RESOLVED" not in r.stdout
    assert accepted == []


@needs_bwrap
def test_bwrap_cannot_remount_or_see_host_processes(tmp_path):
    code = ("import os, subprocess\n"
            "print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit())[:3])\n"
            "r = subprocess.run(['mount', '-o', 'remount,rw', '/'], capture_output=True)\n"
            "print('remount', r.returncode)\n")
    r = BwrapSandbox().run(py(code), tmp_path, timeout=30)
    assert r.ok, r.stderr
    assert r.stdout.splitlines()[0].startswith("[1, 2")       # its own pid namespace
    assert "remount 0" not in r.stdout


# --- choosing a backend ---------------------------------------------------------------

def test_auto_prefers_bwrap_and_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setattr(sandboxes, "bwrap_problem", lambda: "")
    backend, warning = get_sandbox("auto")
    assert backend.name == "bwrap" and warning == ""
    monkeypatch.setattr(sandboxes, "bwrap_problem", lambda: "bubblewrap is not installed")
    backend, warning = get_sandbox("auto")
    assert backend.name == "process" and "not installed" in warning and "network" in warning
    with pytest.raises(SandboxUnavailable, match="not installed"):
        get_sandbox("bwrap")
    with pytest.raises(SandboxUnavailable, match="unknown"):
        get_sandbox("docker")


def test_file_size_limit(sandbox, tmp_path):
    code = "open('big', 'wb').write(b'x' * 4 * 1024**2)"
    r = sandbox.run(py(code), tmp_path, limits=Limits(file_bytes=1024**2), timeout=30)
    assert not r.ok and r.limit == "file size"


# --- output and disk ------------------------------------------------------------------

def test_output_is_capped_and_never_held_whole(sandbox, tmp_path):
    """~2 GB printed: the result keeps its head and tail, the optimizer's memory does not grow."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB
    code = "import sys; [sys.stdout.write('x' * 65536) for _ in range(32768)]; sys.stdout.write('THE END')"
    r = sandbox.run(py(code), tmp_path, timeout=120)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert r.ok, r.stderr
    assert len(r.stdout) < 200_000 and r.stdout.startswith("xxx") and r.stdout.endswith("THE END")
    assert f"[{2 * 1024**3 + 7 - 2 * 64 * 1024} bytes of output omitted]" in r.stdout
    assert grown < 50 * 1024, f"peak RSS grew by {grown} KiB"


def test_stdin_is_delivered_and_small_output_is_whole(sandbox, tmp_path):
    r = sandbox.run(py("import sys; print(sys.stdin.readline().strip()[::-1]); print('e' * 70000, file=sys.stderr)"),
                    tmp_path, timeout=30, stdin="seal\n")
    assert r.ok and r.stdout == "laes\n" and r.stderr == "e" * 70000 + "\n"


def _used(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def test_disk_growth_is_bounded(sandbox, tmp_path):
    """64 MiB files in a loop (4 GB in all) inside the workspace: stopped near the limit."""
    limit = 200 * 1024**2
    code = ("import os\nblock = b'x' * 1024**2\nfor i in range(64):\n"
            "    with open(f'big-{i}', 'wb') as fh:\n"
            "        for _ in range(64):\n            fh.write(block)\n")
    try:
        before = _used(tmp_path)
        r = sandbox.run(py(code), tmp_path, limits=Limits(disk_bytes=limit), timeout=120)
        grown = _used(tmp_path) - before           # nothing of the workspace deleted yet
        assert not r.ok and r.limit == "disk" and r.killed_by_limit, (r.limit, r.stderr[-500:])
        assert r.why_stopped() == "wrote more than 200 MiB to disk (the sandbox's limit)"
        # the bound: the limit plus what the disk writes in one poll interval (other writers count too)
        assert grown < limit + 150 * 1024**2, f"grew by {grown / 1024**2:.0f} MiB"
    finally:
        for f in tmp_path.glob("big-*"):
            f.unlink()


def test_file_size_is_capped_at_the_disk_limit(sandbox, tmp_path):
    r = sandbox.run(py("open('big', 'wb').write(b'x' * 8 * 1024**2)"), tmp_path,
                    limits=Limits(disk_bytes=4 * 1024**2), timeout=30)
    assert not r.ok and r.limit in ("file size", "disk")
    (tmp_path / "big").unlink(missing_ok=True)
