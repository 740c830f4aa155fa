"""Turn the Action's inputs into the engine's request, the same request the CLI builds."""

from __future__ import annotations

from typing import Protocol

from secure_gate.github.context import Event, GitHubContext
from secure_gate.github.inputs import Inputs
from secure_gate.model import Report
from secure_gate.request import ScanRequest


class Notifier(Protocol):
    """Where the scan says what it decided (the console prints notices)."""

    def notice(self, message: str, *, title: str | None = None) -> None:
        """Say something worth knowing that is not a problem."""


def diff_base(value: str | None, event: Event, notifier: Notifier) -> str | None:
    """``auto`` is the PR's base commit, or the commit before a push; else the value."""
    if value != "auto":
        return value
    base = event.base_sha if event.pr_number is not None else event.before
    if base is None:
        notifier.notice(f"diff-base: auto found no base commit in the {event.name or 'unknown'}"
                        " event, so every finding counts as new")
    return base


def scan_request(inputs: Inputs, base: str | None) -> ScanRequest:
    """The engine's request for these inputs: the same request the CLI builds from flags."""
    from secure_gate.request import cache_location, flag_options

    return ScanRequest(
        root=inputs.workspace,
        paths=() if inputs.path == inputs.workspace else (str(inputs.path),),
        config_file=inputs.config,
        scanners=inputs.scanners,
        fail_on=inputs.fail_on,
        min_confidence=inputs.min_confidence,
        diff_base=base,
        baseline=inputs.baseline,
        scanner_options=flag_options(inputs.flags, inputs.workspace, spelling="input '{}'"),
        jobs=inputs.jobs,
        cache_dir=cache_location(inputs.no_cache, inputs.cache_dir),
    )


def scan_report(ctx: GitHubContext, notifier: Notifier) -> Report:
    """Build the request from the inputs and run the engine on the workspace."""
    from secure_gate import engine

    request = scan_request(ctx.inputs, diff_base(ctx.inputs.diff_base, ctx.event, notifier))
    return engine.scan(request)
