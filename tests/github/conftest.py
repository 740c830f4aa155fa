"""Fixtures for GitHub mode: the loopback API and a fake token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.github.fake_github import State, serve
from tests.github.runner import fake_token


@pytest.fixture
def token() -> str:
    """A fresh token-shaped secret for this test."""
    return fake_token()


@pytest.fixture
def api(token: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[State]:
    """The fake GitHub API on 127.0.0.1; proxies from the environment are bypassed for it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield from serve(token)
