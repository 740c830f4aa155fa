"""Where the Action runs: ``GITHUB_*``, the event payload (PR, base/head, fork) and the inputs."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from secure_gate.errors import UsageError
from secure_gate.github import category
from secure_gate.github.inputs import Inputs, parse_inputs

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_RUN_ID = re.compile(r"[0-9]{1,20}")
_MAX_EVENT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Event:
    """What the triggering event tells the gate (anything absent or malformed is None)."""

    name: str = ""
    pr_number: int | None = None
    base_sha: str | None = None
    head_sha: str | None = None
    base_repo: str | None = None
    head_repo: str | None = None
    before: str | None = None
    after: str | None = None

    @property
    def fork(self) -> bool:
        """A pull request from another repository: its token is read-only."""
        if self.pr_number is None:
            return False
        if self.head_repo is None:
            return True  # the fork was deleted: certainly not this repository
        return self.head_repo.lower() != (self.base_repo or "").lower()


@dataclass(frozen=True, slots=True)
class GitHubContext:
    """Everything ``secure-gate github`` reads from its environment, validated."""

    workspace: Path
    inputs: Inputs
    event: Event
    repository: str | None = None
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    graphql_url: str = "https://api.github.com/graphql"
    sha: str | None = None
    output_file: Path | None = None
    summary_file: Path | None = None
    run_id: str | None = None
    actor: str = ""
    sarif_category: str = "secure-gate"  # the category input, else one unique to this step

    @property
    def repository_url(self) -> str | None:
        """``https://github.com/owner/name``, from trusted runner variables only."""
        return f"{self.server_url}/{self.repository}" if self.repository else None

    @property
    def run_url(self) -> str | None:
        """This workflow run's page, where the job summary is shown."""
        if self.repository_url is None or self.run_id is None:
            return None
        return f"{self.repository_url}/actions/runs/{self.run_id}"


def _sha(value: object) -> str | None:
    if isinstance(value, str) and _SHA.fullmatch(value) and value.strip("0"):
        return value
    return None


def _get(data: object, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _repo_name(value: object) -> str | None:
    return value if isinstance(value, str) and _REPOSITORY.fullmatch(value) else None


def parse_event(name: str, payload: object) -> Event:
    """Pick the PR number, base/head commits and repositories, or push's before/after."""
    pull = _get(payload, "pull_request")
    if isinstance(pull, dict):
        number = pull.get("number")
        return Event(
            name=name,
            pr_number=number if isinstance(number, int) and number > 0 else None,
            base_sha=_sha(_get(pull, "base", "sha")),
            head_sha=_sha(_get(pull, "head", "sha")),
            base_repo=_repo_name(_get(pull, "base", "repo", "full_name")),
            head_repo=_repo_name(_get(pull, "head", "repo", "full_name")),
        )
    group = _get(payload, "merge_group")
    if isinstance(group, dict):  # a merge queue: the queue's base commit judges the group
        return Event(name=name, base_sha=_sha(group.get("base_sha")),
                     head_sha=_sha(group.get("head_sha")))
    return Event(name=name, before=_sha(_get(payload, "before")),
                 after=_sha(_get(payload, "after")))


def read_event(environ: Mapping[str, str]) -> Event:
    """The payload at ``GITHUB_EVENT_PATH``; a named but unreadable payload is an error."""
    name = environ.get("GITHUB_EVENT_NAME", "")
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        return Event(name=name)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: {exc.strerror or exc}") from None
    if len(data) > _MAX_EVENT_BYTES:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: larger than {_MAX_EVENT_BYTES} bytes")
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: not valid JSON ({exc})") from None
    return parse_event(name, payload)


def _service_url(environ: Mapping[str, str], key: str, default: str) -> str:
    """A GitHub URL the token is sent to: https, or http only to this machine (tests)."""
    value = environ.get(key, "").strip().rstrip("/") or default
    parts = urlsplit(value)
    secure = parts.scheme == "https" or (parts.scheme == "http"
                                         and parts.hostname in _LOOPBACK)
    if not secure or not parts.hostname or parts.query or parts.fragment:
        raise UsageError(f"{key}: expected an https URL, got {value!r}")
    return value


def _file_command(environ: Mapping[str, str], key: str) -> Path | None:
    value = environ.get(key, "")
    return Path(value) if value else None


def read_context(environ: Mapping[str, str]) -> GitHubContext:
    """Validate the runner's variables and the inputs (errors name what is wrong)."""
    workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    if not workspace.is_dir():
        raise UsageError(f"GITHUB_WORKSPACE {workspace} is not a folder")
    repository = environ.get("GITHUB_REPOSITORY", "") or None
    if repository is not None and not _REPOSITORY.fullmatch(repository):
        raise UsageError(f"GITHUB_REPOSITORY: expected owner/name, got {repository!r}")
    api_url = _service_url(environ, "GITHUB_API_URL", "https://api.github.com")
    run_id = environ.get("GITHUB_RUN_ID", "")
    inputs = parse_inputs(environ, workspace)
    return GitHubContext(
        workspace=workspace,
        inputs=inputs,
        event=read_event(environ),
        repository=repository,
        server_url=_service_url(environ, "GITHUB_SERVER_URL", "https://github.com"),
        api_url=api_url,
        graphql_url=_service_url(environ, "GITHUB_GRAPHQL_URL", f"{api_url}/graphql"),
        sha=_sha(environ.get("GITHUB_SHA", "")),
        output_file=_file_command(environ, "GITHUB_OUTPUT"),
        summary_file=_file_command(environ, "GITHUB_STEP_SUMMARY"),
        run_id=run_id if _RUN_ID.fullmatch(run_id) else None,
        actor=environ.get("GITHUB_ACTOR", ""),
        sarif_category=inputs.category or category.default(
            environ.get("GITHUB_WORKFLOW", ""), environ.get("GITHUB_JOB", ""),
            environ.get("GITHUB_ACTION", ""),
            (inputs.path.relative_to(inputs.workspace).as_posix(),
             ",".join(inputs.scanners or ()), inputs.config or "")),
    )
