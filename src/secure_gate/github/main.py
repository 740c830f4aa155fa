"""``secure-gate github``: scan, then annotations, job summary, report files, outputs, comment."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from secure_gate.errors import EXIT_SCANNER_ERROR, EXIT_USAGE, GateError
from secure_gate.github import files
from secure_gate.github.api import Sleeper
from secure_gate.github.context import GitHubContext, read_context
from secure_gate.github.handoff import TOKEN_INPUT, take_token
from secure_gate.github.inputs import raw
from secure_gate.github.publish import Console, publish
from secure_gate.github.scan import scan_report
from secure_gate.model import Status


def _outputs(code: int, extra: Mapping[str, str]) -> dict[str, str]:
    base = {"passed": "true" if code == 0 else "false", "exit-code": str(code),
            "findings": "", "blocking": "", "errors": "", "sarif-file": "", "json-file": "",
            "markdown-file": "", "comment-url": ""}
    base.update(extra)
    return base


def _write_outputs(console: Console, environ: Mapping[str, str], values: Mapping[str, str]
                   ) -> bool:
    target = environ.get("GITHUB_OUTPUT")
    if not target:
        return True
    try:
        files.write_outputs(Path(target), values)
    except (OSError, files.FileCommandError) as exc:
        console.error(f"could not write the step outputs: {exc}")
        return False
    return True


def _stop(console: Console, environ: Mapping[str, str], ctx: GitHubContext | None, code: int,
          message: str) -> int:
    console.error(message, title="secure-gate")
    _write_outputs(console, environ, _outputs(code, {}))
    return code


def run_github(environ: MutableMapping[str, str] | Mapping[str, str], *,
               out: TextIO | None = None, sleep: Sleeper = time.sleep) -> int:
    """Run the gate as a GitHub Action step; returns the gate's exit code."""
    console = Console(out or sys.stdout)
    # Out of the environment (and the hand-off pipe closed) before any worker or tool starts.
    token = take_token(environ) if isinstance(environ, MutableMapping) else raw(
        environ, "github-token")
    # Masked before anything else is printed, and never while commands are stopped.
    console.mask(token)
    ctx: GitHubContext | None = None
    try:
        ctx = read_context({**environ, TOKEN_INPUT: token})
        report = scan_report(ctx, console)
    except GateError as exc:
        return _stop(console, environ, ctx, exc.exit_code or EXIT_USAGE, str(exc))
    except Exception as exc:  # a crash is a run that did not complete, never a pass
        return _stop(console, environ, ctx, EXIT_SCANNER_ERROR,
                     f"secure-gate crashed: {type(exc).__name__}: {exc}")
    # Links and SARIF point at the code the author wrote: on a pull request GITHUB_SHA is
    # the merge commit of refs/pull/N/merge, the head is in the event payload.
    report = replace(report, repository_url=ctx.repository_url,
                     commit=ctx.event.head_sha or ctx.sha)
    if report.nothing_scanned and not ctx.inputs.allow_empty:
        # A gate that saw no file must not look like a pass (a path that matches nothing, a
        # checkout without the files): an error unless the workflow says it is expected.
        why = (f"{report.nothing_scanned_line()}; set the input allow-empty: true if a run "
               "that scans nothing is expected")
        console.error(f"secure-gate: {why}", title="secure-gate scanned nothing")
        report = replace(report, passed=False, exit_code=report.exit_code or EXIT_USAGE,
                         reasons=(*report.reasons, why))
    try:
        delivered = publish(ctx, report, console, sleep=sleep)
    except Exception as exc:
        return _stop(console, environ, ctx, report.exit_code or EXIT_SCANNER_ERROR,
                     f"secure-gate could not publish the report: {type(exc).__name__}: {exc}")
    if ctx.inputs.fix == "suggest":
        from secure_gate.github.suggest import suggest

        # After every channel of the verdict: suggestions can neither change nor delay it.
        suggest(ctx, report, console, sleep=sleep)
    values = _outputs(report.exit_code, {
        "findings": str(len(report.findings)),
        "blocking": str(len(report.blocking)),
        "errors": str(sum(1 for s in report.scanners if s.status is Status.ERROR)),
        **delivered.outputs,
    })
    written = _write_outputs(console, environ, values)
    with contextlib.suppress(OSError):
        console.flush()
    if delivered.failed or not written:
        # The result could not be delivered in full: never let that look like a pass.
        return report.exit_code or EXIT_USAGE
    return report.exit_code
