"""preflight: one tiny real request through litellm, against the fake OpenAI server."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from optimizer.errors import OptimizeError, ProviderAuthError, ProviderUnavailable, UnknownModel
from fake_openai import closed_port
from optimizer.propose.llm import preflight

MODEL = "openai/fake-model"


pytestmark = pytest.mark.usefixtures("no_real_keys")


def test_a_good_server_passes_with_one_tiny_request(fake_openai):
    server = fake_openai(["pong"])
    assert preflight(MODEL, server.base_url, environ={}) is None
    [body] = server.pings
    assert body["max_tokens"] == 1 and body["messages"] == [{"role": "user", "content": "ping"}]


def test_refused_credentials_are_an_auth_error(fake_openai):
    server = fake_openai([{"status": 401}])
    with pytest.raises(ProviderAuthError, match=r"^model provider rejected the credentials for openai/fake-model: ") as info:
        preflight(MODEL, server.base_url, environ={})
    assert "\n" not in str(info.value)
    assert len(server.pings) == 1 and not server.requests   # no retries


def test_forbidden_is_an_auth_error(fake_openai):
    server = fake_openai([{"status": 403, "message": "no access to this model"}])
    with pytest.raises(ProviderAuthError):
        preflight(MODEL, server.base_url, environ={})


def test_missing_key_fails_before_any_request():
    with pytest.raises(ProviderAuthError, match="needs OPENAI_API_KEY"):
        preflight("openai/gpt-4.1", None, environ={})


def test_unknown_model(fake_openai):
    server = fake_openai([{"status": 404}])
    with pytest.raises(UnknownModel, match="does not know openai/fake-model"):
        preflight(MODEL, server.base_url, environ={})
    assert len(server.pings) == 1 and not server.requests


def test_a_closed_port_is_unavailable_and_names_the_url():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    outcome: dict = {}

    def run() -> None:
        start = time.monotonic()
        try:
            preflight(MODEL, url, timeout=5.0, environ={})
        except BaseException as exc:   # noqa: BLE001 - inspected below
            outcome["exc"] = exc
        outcome["seconds"] = time.monotonic() - start

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)            # a hang must not hang the suite
    assert not worker.is_alive(), "preflight did not return"
    exc = outcome.get("exc")
    assert isinstance(exc, ProviderUnavailable), repr(exc)
    assert isinstance(exc, OptimizeError)
    assert url in str(exc) and "\n" not in str(exc)
    assert outcome["seconds"] < 10


def test_a_silent_server_times_out_as_unavailable():
    # Listening but never accepting: the connection opens, no answer ever comes.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        start = time.monotonic()
        with pytest.raises(ProviderUnavailable, match="timed out") as info:
            preflight(MODEL, url, timeout=0.5, environ={})
    assert url in str(info.value)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("status", [500, 429])
def test_passing_server_trouble_does_not_fail(fake_openai, status):
    server = fake_openai([{"status": status}])
    assert preflight(MODEL, server.base_url, environ={}) is None
    assert len(server.pings) == 1 and not server.requests   # no retries: the run's own retries handle these
