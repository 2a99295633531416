import sys
import time

from sandboxes import Limits, get_sandbox, scrubbed_env


def test_result_of_a_normal_run(tmp_path):
    r = get_sandbox("process").run([sys.executable, "-c", "print('hi')"], tmp_path, timeout=30)
    assert r.ok and r.stdout.strip() == "hi" and not r.timed_out and r.seconds > 0


def test_timeout_kills_the_whole_group(tmp_path):
    marker = tmp_path / "child.pid"
    code = ("import subprocess, sys, time;"
            f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
            f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    start = time.monotonic()
    r = get_sandbox("process").run([sys.executable, "-c", code], tmp_path, timeout=2)
    assert r.timed_out and not r.ok and time.monotonic() - start < 20
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_environment_is_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("MY_TOKEN", "t0ken")
    env = scrubbed_env(tmp_path)
    r = get_sandbox("process").run([sys.executable, "-c", "import os; print(sorted(os.environ))"], tmp_path,
                                   env=env, timeout=30)
    assert "OPENAI_API_KEY" not in r.stdout and "MY_TOKEN" not in r.stdout
    assert env["HOME"].startswith(str(tmp_path))


def test_memory_limit(tmp_path):
    r = get_sandbox("process").run([sys.executable, "-c", "x = bytearray(2 * 1024**3)"], tmp_path,
                                   limits=Limits(memory_bytes=512 * 1024**2), timeout=30)
    assert not r.ok and "MemoryError" in r.stderr


def test_missing_program_is_a_result_not_an_exception(tmp_path):
    r = get_sandbox("process").run(["/nonexistent/prog"], tmp_path, timeout=5)
    assert r.returncode == 127 and not r.ok
