"""Where ``secure-gate fix`` looks things up, and the clients it made for one run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from secure_gate.net.http import Http

PYPI_SIMPLE = "https://pypi.org/simple/"
GITHUB_API = "https://api.github.com"


@dataclass(slots=True)
class Services:
    """The services of one ``fix`` run and their settings.

    ``index_url`` is the package index's simple API (PEP 691 JSON); a requirements file's own
    ``--index-url`` wins for that file. ``github_token`` comes from ``GITHUB_TOKEN`` only and
    is sent to ``github_api`` only. ``registries`` maps a registry host (``docker.io``,
    ``ghcr.io``) to the base URL its API v2 is asked at, for mirrors (and tests).
    """

    http: Http = field(default_factory=Http)
    index_url: str = PYPI_SIMPLE
    github_api: str = GITHUB_API
    github_token: str | None = field(default=None, repr=False)
    registries: Mapping[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # the services asked (named in the summary)
    # Answers already looked up in this run, by (service, key): later rounds ask nothing twice.
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
