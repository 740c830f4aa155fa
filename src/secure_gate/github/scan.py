"""Turn the Action's inputs into the engine's request, the same request the CLI builds."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from secure_gate.errors import UsageError
from secure_gate.github.context import Event, GitHubContext
from secure_gate.github.inputs import Inputs
from secure_gate.model import Report
from secure_gate.request import ScanRequest
from secure_gate.trusted import JUDGING_EVENTS


class Notifier(Protocol):
    """Where the scan says what it decided (the console prints notices)."""

    def notice(self, message: str, *, title: str | None = None) -> None:
        """Say something worth knowing that is not a problem."""


def diff_base(value: str | None, event: Event, notifier: Notifier) -> str | None:
    """``auto`` is the PR's base commit, or the commit before a push; else the value."""
    if value != "auto":
        return value
    base = event.base_sha if event.base_sha is not None else event.before
    if base is None:
        notifier.notice(f"diff-base: auto found no base commit in the {event.name or 'unknown'}"
                        " event, so every finding counts as new")
    return base


def policy_source(inputs: Inputs, event: Event) -> tuple[str, str | None]:
    """On events that judge a change before it merges, the policy comes from its base:
    ``(policy_from, the commit it is read from or None for the diff base)``."""
    chosen = inputs.policy_from or ("base" if event.name in JUDGING_EVENTS else "head")
    if chosen == "base" and event.name in JUDGING_EVENTS and event.base_sha is not None:
        return chosen, event.base_sha
    return chosen, None


def scan_request(inputs: Inputs, base: str | None, event: Event | None = None) -> ScanRequest:
    """The engine's request for these inputs: the same request the CLI builds from flags."""
    from secure_gate.request import cache_location, flag_options

    policy_from, policy_base = (policy_source(inputs, event) if event is not None
                                else (inputs.policy_from, None))
    return ScanRequest(
        root=inputs.workspace,
        paths=() if inputs.path == inputs.workspace else (str(inputs.path),),
        config_file=inputs.config,
        scanners=inputs.scanners,
        fail_on=inputs.fail_on,
        min_confidence=inputs.min_confidence,
        diff_base=base,
        baseline=inputs.baseline,
        policy_from=policy_from,
        policy_base=policy_base,
        history=inputs.history,
        scanner_options=flag_options(inputs.flags, inputs.workspace, spelling="input '{}'"),
        jobs=inputs.jobs,
        cache_dir=cache_location(inputs.no_cache, inputs.cache_dir),
        shard=inputs.shard,
    )


def scan_report(ctx: GitHubContext, notifier: Notifier) -> Report:
    """Build the request from the inputs and run the engine on the workspace (or, with the
    ``merge`` input, judge the matrix legs' shard reports as one)."""
    from secure_gate import engine

    if ctx.inputs.merge is not None:
        reports = sorted(str(p) for p in Path(ctx.inputs.merge).glob("*.json"))
        if not reports:
            raise UsageError(f"input 'merge': no shard report (*.json) in {ctx.inputs.merge}")
        notifier.notice(f"merging {len(reports)} shard report(s) into one verdict")
        return engine.merge(reports, ctx.workspace)
    if ctx.inputs.shard is not None and ctx.inputs.json_file is None:
        raise UsageError("input 'shard' needs 'json-file': the shard's report is what the "
                         "merge job reads")
    request = scan_request(ctx.inputs, diff_base(ctx.inputs.diff_base, ctx.event, notifier),
                           ctx.event)
    return engine.scan(request)
