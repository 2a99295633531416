"""A fake OpenAI-compatible chat server for tests: real HTTP, canned answers, no network.

    with FakeOpenAI(answers=["```python\\ndef f(): ...\\n```", {"status": 401}]) as server:
        litellm.completion(model="openai/fake-model", api_base=server.base_url, ...)

Each POST /v1/chat/completions takes the next queued entry (the last one repeats
once the queue is drained). An entry is either the answer text, or a dict:
{"content": str, "prompt_tokens": int, "completion_tokens": int, "delay": seconds} or
{"status": 401|429|500|..., "message": str} for an OpenAI-style error.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_denied",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}
_ERROR_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}
# OpenAI's own wording; litellm maps errors partly by matching these strings.
_MESSAGES = {
    401: "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.",
    404: "The model `fake-model` does not exist or you do not have access to it.",
    429: "Rate limit reached for requests",
    500: "The server had an error while processing your request.",
}


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, released): a dead provider."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeOpenAI:
    def __init__(self, answers: list[str | dict] | None = None, prompt_tokens: int = 100,
                 completion_tokens: int = 50, by_prompt: dict[str, list[str | dict]] | None = None):
        """by_prompt: the first key found in the request's last message picks that queue
        instead (parallel requests of different kinds then get their own answers in order)."""
        self._queue: deque[str | dict] = deque(answers or ["```python\npass\n```"])
        self._by_prompt = {k: deque(v) for k, v in (by_prompt or {}).items()}
        self._last: str | dict = self._queue[-1]
        self._lock = threading.Lock()
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.requests: list[dict] = []       # JSON bodies, in arrival order
        self.pings: list[dict] = []          # the optimizer's preflight requests, apart
        self.served: list[dict] = []         # what was answered: {"status", "prompt_tokens", "completion_tokens"}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FakeOpenAI":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def usage_totals(self) -> tuple[int, int]:
        """(prompt, completion) tokens summed over the successful answers served."""
        ok = [s for s in self.served if s["status"] == 200]
        return sum(s["prompt_tokens"] for s in ok), sum(s["completion_tokens"] for s in ok)

    # -- answering -------------------------------------------------------------------------
    def _next(self) -> str | dict:
        with self._lock:
            if self._queue:
                self._last = self._queue.popleft()
            return self._last

    def _reply(self, body: dict) -> tuple[int, dict]:
        prompt = str((body.get("messages") or [{}])[-1].get("content", ""))
        if prompt == "ping" and body.get("max_tokens") == 1:
            # The optimizer's preflight (llm.preflight): answered as a real server would,
            # with the error the next request would get (a bad key, an unknown model),
            # else a word; it does not use up the queue and is kept apart in `pings`.
            with self._lock:
                self.pings.append(body)
                head = self._queue[0] if self._queue else self._last
            entry = head if isinstance(head, dict) and head.get("status", 200) != 200 else {"content": "pong"}
            return self._answer({k: v for k, v in entry.items() if k != "delay"}, body, served=False)
        with self._lock:
            self.requests.append(body)
        key = next((k for k in self._by_prompt if k in prompt), None)
        if key is not None:
            with self._lock:
                queue = self._by_prompt[key]
                entry = queue.popleft() if len(queue) > 1 else queue[0]
        else:
            entry = self._next()
        return self._answer({"content": entry} if isinstance(entry, str) else entry, body)

    def _answer(self, entry: dict, body: dict, served: bool = True) -> tuple[int, dict]:
        if entry.get("delay"):
            time.sleep(entry["delay"])   # a slow provider, for per-call timeouts
        status = entry.get("status", 200)
        if status != 200:
            with self._lock:
                if served:
                    self.served.append({"status": status, "prompt_tokens": 0, "completion_tokens": 0})
            return status, {"error": {
                "message": entry.get("message", _MESSAGES.get(status, f"fake error {status}")),
                "type": _ERROR_TYPES.get(status, "server_error"),
                "param": None,
                "code": _ERROR_CODES.get(status),
            }}
        pt = entry.get("prompt_tokens", self.prompt_tokens)
        ct = entry.get("completion_tokens", self.completion_tokens)
        with self._lock:
            if served:
                self.served.append({"status": 200, "prompt_tokens": pt, "completion_tokens": ct})
            n = len(self.served)
        return 200, {
            "id": f"chatcmpl-fake{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": entry["content"]},
                "finish_reason": "stop",
                "logprobs": None,
            }],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        }


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive, as the openai client expects

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return self._send(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            self._send(*fake._reply(body))

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            # The openai client honours this (0 is ignored), so any retries it makes stay fast.
            self.send_header("retry-after-ms", "1")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:   # keep pytest output clean
            pass

    return Handler
