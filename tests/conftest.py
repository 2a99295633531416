"""Shared fixtures."""
from __future__ import annotations

import pytest

from fake_openai import FakeOpenAI


@pytest.fixture(autouse=True)
def private_optimize_home(tmp_path_factory, monkeypatch):
    """The response cache and the kept-examples store live in $OPTIMIZE_HOME: never the
    developer's ~/.cache during tests (subprocesses inherit it too)."""
    monkeypatch.setenv("OPTIMIZE_HOME", str(tmp_path_factory.mktemp("optimize-home")))


@pytest.fixture
def no_real_keys(monkeypatch):
    """No provider key or endpoint from the developer's environment."""
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


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


def pytest_configure(config):
    """Under pytest -n, each worker takes one test at a time, in collection order (slow
    ones first, below), so the long tests spread over the workers. pytest-xdist's default
    first hands each worker a chunk of a quarter of its share: all the slow tests, here,
    to one worker. A --maxschedchunk given on the command line wins."""
    if getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(config, items):
    """The slow (end-to-end) tests first, in their order: with one worker per core the
    long ones start early and the many short ones fill the gaps, instead of a long test
    started last keeping one core busy alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
