"""Turn the Action's inputs into the CLI's scan options and run the same scan the CLI runs."""

from __future__ import annotations

import argparse
import contextlib
from typing import Protocol

from secure_gate import cli
from secure_gate.errors import UsageError
from secure_gate.github.context import Event, GitHubContext
from secure_gate.github.inputs import Inputs
from secure_gate.model import Report
from secure_gate.trusted import JUDGING_EVENTS

# CLI option (argparse dest) → the Action input that sets it, for "not yet supported" errors.
INPUT_OF = {"diff_base": "diff-base", "baseline": "baseline", "osv_url": "osv-url",
            "advisory_db": "advisory-db", "sarif": "sarif-file", "markdown": "markdown-file",
            "json": "json-file"}


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


def policy_argv(inputs: Inputs, event: Event) -> list[str]:
    """On events that judge a change before it merges, the policy comes from its base."""
    chosen = inputs.policy_from or ("base" if event.name in JUDGING_EVENTS else "head")
    argv = [f"--policy-from={chosen}"]
    if chosen == "base" and event.name in JUDGING_EVENTS and event.base_sha is not None:
        argv.append(f"--policy-base={event.base_sha}")
    return argv


def scan_argv(inputs: Inputs, base: str | None) -> list[str]:
    """The ``scan`` options the CLI would be given for these inputs."""
    argv: list[str] = []
    pairs = (("--config", inputs.config), ("--fail-on", inputs.fail_on),
             ("--min-confidence", inputs.min_confidence), ("--diff-base", base),
             ("--baseline", inputs.baseline), ("--osv-url", inputs.osv_url),
             ("--advisory-db", inputs.advisory_db), ("--cache-dir", inputs.cache_dir))
    for flag, value in pairs:
        if value is not None:
            argv.append(f"{flag}={value}")  # one token: a value can never read as an option
    if inputs.scanners is not None:
        argv.append("--scanners=" + ",".join(inputs.scanners))
    if inputs.jobs is not None:
        argv.append(f"--jobs={inputs.jobs}")
    if inputs.no_cache:
        argv.append("--no-cache")
    if inputs.path != inputs.workspace:
        argv += ["--", str(inputs.path)]
    return argv


def check_supported(args: argparse.Namespace, inputs: Inputs) -> None:
    """The CLI's list of not-yet-landed options, reported under the input's name."""
    requested = {"sarif": inputs.sarif_file, "markdown": inputs.markdown_file}
    for dest in cli.NOT_YET:
        if getattr(args, dest, None) or requested.get(dest):
            name = INPUT_OF.get(dest, dest.replace("_", "-"))
            raise UsageError(f"input '{name}' is not yet supported by this version "
                             "of secure-gate")


def scan_report(ctx: GitHubContext, notifier: Notifier) -> Report:
    """Parse the inputs exactly as the CLI parses flags, then run the CLI's scan."""
    parser = cli._Parser(prog="secure-gate github", add_help=False)
    cli.add_scan_options(parser)
    argv = scan_argv(ctx.inputs, diff_base(ctx.inputs.diff_base, ctx.event, notifier))
    args = parser.parse_args([*policy_argv(ctx.inputs, ctx.event), *argv])
    check_supported(args, ctx.inputs)
    # The CLI scans the current directory; the Action's repository is the workspace.
    with contextlib.chdir(ctx.workspace):
        return cli.run_scan(args)
