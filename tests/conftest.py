"""Shared fixtures."""
from __future__ import annotations

import pytest

from fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai():
    """Factory: fake_openai(answers) -> a started FakeOpenAI, stopped at teardown."""
    servers: list[FakeOpenAI] = []

    def start(answers: list[str | dict] | None = None, **kwargs) -> FakeOpenAI:
        server = FakeOpenAI(answers, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
