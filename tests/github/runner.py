"""What the Actions runner does with our file commands, re-implemented for assertions."""

from __future__ import annotations

import json
import secrets
import string
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class FileCommandError(AssertionError):
    """The runner would fail the step on this file."""


def parse_file_command(text: str) -> dict[str, str]:
    """Read ``$GITHUB_OUTPUT`` like FileCommandManager: ``k=v`` or ``k<<DELIM`` heredocs.

    ``=`` before ``<<`` means a plain line; a heredoc runs to a line exactly equal to the
    delimiter, which must be followed by a newline; a missing delimiter is an error.
    """
    result: dict[str, str] = {}
    lines = text.split("\n")
    if text and not text.endswith("\n"):
        raise FileCommandError("the file does not end with a newline")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            result[line[:eq]] = line[eq + 1:]
            continue
        if heredoc <= 0:
            raise FileCommandError(f"invalid line {line!r}")
        name, delimiter = line[:heredoc], line[heredoc + 2:]
        value: list[str] = []
        while True:
            if i >= len(lines):
                raise FileCommandError(f"delimiter {delimiter!r} not found")
            if lines[i] == delimiter:
                if i == len(lines) - 1:
                    raise FileCommandError("no newline after the delimiter")
                i += 1
                break
            value.append(lines[i])
            i += 1
        result[name] = "\n".join(value)
    return result


def fake_token() -> str:
    """A token-shaped random string made at run time (the repository holds none)."""
    return "ghs_" + "".join(secrets.choice(string.ascii_letters + string.digits)
                            for _ in range(36))


@dataclass
class Runner:
    """The folders and variables a container step gets, built in a temporary folder."""

    root: Path
    workspace: Path
    event: Mapping[str, object] = field(default_factory=dict)
    event_name: str = "push"

    def __post_init__(self) -> None:
        self.commands = self.root / "file_commands"
        self.commands.mkdir(parents=True, exist_ok=True)
        self.output = self.commands / "set_output_1"
        self.summary = self.commands / "step_summary_1"
        self.output.write_text("")
        self.summary.write_text("")
        self.event_path = self.root / "event.json"
        self.event_path.write_text(json.dumps(_real_base(self.event, self.workspace)))

    def env(self, inputs: Mapping[str, str], *, api: str | None = None,
            repository: str = "o/r") -> dict[str, str]:
        env = {
            "GITHUB_ACTIONS": "true", "CI": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": self.event_name, "GITHUB_EVENT_PATH": str(self.event_path),
            "GITHUB_OUTPUT": str(self.output), "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_REPOSITORY": repository, "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_SHA": "a" * 40, "GITHUB_RUN_ID": "4242",
        }
        if api is not None:
            env["GITHUB_API_URL"] = api
            env["GITHUB_GRAPHQL_URL"] = f"{api}/graphql"
        for name, value in inputs.items():
            env["INPUT_" + name.upper()] = value
        return env

    def outputs(self) -> dict[str, str]:
        return parse_file_command(self.output.read_text(encoding="utf-8"))


BASE_PLACEHOLDER = "b" * 40


def _real_base(event: Mapping[str, object], workspace: Path) -> Mapping[str, object]:
    """A PR's base is a real commit of a full clone: the placeholder becomes the workspace's
    HEAD (the policy is read from the base, so it must exist, as it does on GitHub)."""
    pull = event.get("pull_request")
    if not isinstance(pull, dict) or pull.get("base", {}).get("sha") != BASE_PLACEHOLDER:
        return event
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        return event
    base = {**pull["base"], "sha": done.stdout.strip()}
    return {**event, "pull_request": {**pull, "base": base}}


def pr_event(number: int = 7, *, fork: bool = False) -> dict[str, object]:
    """A ``pull_request`` payload as GitHub sends it (the parts we read)."""
    head_repo = "someone/r" if fork else "o/r"
    return {"action": "synchronize", "number": number, "pull_request": {
        "number": number,
        "base": {"sha": BASE_PLACEHOLDER, "repo": {"full_name": "o/r"}},
        "head": {"sha": "c" * 40, "repo": {"full_name": head_repo, "fork": fork}},
    }}
