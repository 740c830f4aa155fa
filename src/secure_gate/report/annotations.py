"""GitHub annotations as workflow commands, within the runner's budget, escaped as it decodes."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from secure_gate.model import Finding, Report, Status
from secure_gate.report.escape import command_data, command_property, terminal
from secure_gate.report.rendered import plural
from secure_gate.report.sarif_rules import result_level

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}
# Commands the runner knows (ActionCommandManager): a stop token must be none of these.
RUNNER_COMMANDS = frozenset({
    "add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
    "internal-set-repo-path", "notice", "remove-matcher", "save-state", "set-env",
    "set-output", "stop-commands", "warning", "pause-logging",
})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{7,128}")


@dataclass(frozen=True, slots=True)
class AnnotationOptions:
    """The per-level budget (GitHub shows 10 of each level per step) and a path prefix.

    ``path_prefix`` is put before repo-relative paths when the repository is checked out
    in a sub-folder of the workspace (the Action's ``path`` input).
    """

    per_level: int = 10
    path_prefix: str = ""

    def __post_init__(self) -> None:
        if self.per_level < 1:
            raise ValueError(f"per_level must be at least 1, got {self.per_level}")


def render_annotations(report: Report, options: AnnotationOptions | None = None) -> str:
    """One workflow command per line: scanner errors, the chosen findings, then one notice.

    Suppressed findings are never annotated. Of the rest, each level gets at most
    ``per_level`` annotations, chosen blocking and most severe first, then new, then most
    confident; they are printed in the report's order. If any were left out, a final
    notice says how many and where the full list is.
    """
    opts = options or AnnotationOptions()
    errors = [s for s in report.scanners if s.status is Status.ERROR]
    shown_errors = errors[:opts.per_level]
    candidates = [f for f in report.findings if not f.suppressed]
    used = Counter({"error": len(shown_errors)})
    chosen = _choose(candidates, opts.per_level, used)
    left = len(candidates) - len(chosen) + len(errors) - len(shown_errors)
    if left and used["notice"] >= opts.per_level:
        # The last notice slot goes to the overflow notice: free the weakest notice.
        weakest = max((i for i in chosen if _level(candidates[i]) == "notice"),
                      key=lambda i: (_priority(candidates[i]), i))
        chosen.remove(weakest)
        left += 1
    lines = [_scanner_error(s.name, s.message) for s in shown_errors]
    lines += [_annotation(candidates[i], opts) for i in sorted(chosen)]
    if left:
        lines.append(_overflow(left, len(errors) - len(shown_errors), opts.per_level))
    return "".join(line + "\n" for line in lines)


def _level(finding: Finding) -> str:
    return _LEVELS[result_level(finding)]


def _priority(finding: Finding) -> tuple[int, int, int, int]:
    return (0 if finding.blocking else 1, -int(finding.severity),
            0 if finding.new is True else 1, -int(finding.confidence))


def _choose(candidates: Sequence[Finding], per_level: int, used: Counter[str]) -> set[int]:
    order = sorted(range(len(candidates)), key=lambda i: (_priority(candidates[i]), i))
    chosen: set[int] = set()
    for i in order:
        level = _level(candidates[i])
        if used[level] < per_level:
            used[level] += 1
            chosen.add(i)
    return chosen


def _command(level: str, properties: Sequence[tuple[str, str]], message: str) -> str:
    props = ",".join(f"{key}={command_property(value)}" for key, value in properties if value)
    return f"::{level} {props}::{command_data(message)}"


def _scanner_error(name: str, message: str | None) -> str:
    title = f"secure-gate: {terminal(name, limit=60)} did not complete"
    return _command("error", [("title", title)],
                    terminal(message or "no reason given", limit=1000))


def _annotation(finding: Finding, opts: AnnotationOptions) -> str:
    loc = finding.location
    prefix = opts.path_prefix.rstrip("/")
    props = [("file", f"{prefix}/{loc.path}" if prefix else loc.path)]
    if loc.line is not None:
        end_line = loc.end_line or loc.line
        props += [("line", str(loc.line)), ("endLine", str(end_line))]
        # The runner drops columns unless the annotation is on one line.
        if end_line == loc.line and loc.column is not None:
            props.append(("col", str(loc.column)))
            if loc.end_column is not None and loc.end_column >= loc.column:
                props.append(("endColumn", str(loc.end_column)))
    title = (f"{terminal(finding.scanner, limit=60)} {terminal(finding.rule, limit=100)}: "
             f"{terminal(finding.title, limit=200)}")
    # Last, so the runner's trim of the property list never eats a path's trailing space.
    props.append(("title", title.rstrip() or "secure-gate"))
    facts = [f"severity {finding.severity.label}", f"confidence {finding.confidence.label}"]
    if finding.blocking:
        facts.append("blocking")
    if finding.new is not None:
        word = "new" if finding.new else "not new"
        facts.append(f"{word}: {terminal(finding.new_reason, limit=200)}"
                     if finding.new_reason else word)
    message = terminal(finding.message or finding.title, limit=1500) + "\n" + ", ".join(facts)
    if finding.fix:
        message += "\nFix: " + terminal(finding.fix, limit=500)
    return _command(_level(finding), props, message)


def _overflow(left: int, errors_left: int, per_level: int) -> str:
    extra = f" (including {plural(errors_left, 'scanner error')})" if errors_left else ""
    message = (f"{plural(left, 'more finding')}{extra} not annotated here: GitHub shows "
               f"{plural(per_level, 'annotation')} of each level per step. The job summary "
               "and the SARIF report list them all.")
    return _command("notice", [("title", "secure-gate")], message)


def new_stop_token() -> str:
    """A fresh random token for ``::stop-commands::`` (128 bits; the runner masks it)."""
    return secrets.token_hex(16)


def wrap_raw(text: str, token: str) -> str:
    """``text`` between ``::stop-commands::token`` and ``::token::``: shown, never run.

    While commands are stopped the runner ignores every command but the resume token,
    so raw tool output can be printed whole. Raises ``ValueError`` for a token the runner
    would refuse or one that the text itself contains (the text could resume early).
    """
    if not _TOKEN.fullmatch(token) or token.lower() in RUNNER_COMMANDS:
        raise ValueError("the stop token must be 7+ letters, digits, '-' or '_' and not the "
                         "name of a runner command")
    if token.lower() in text.lower():
        raise ValueError("the text contains the stop token; use a fresh one")
    body = text if not text or text.endswith(("\n", "\r")) else text + "\n"
    return f"::stop-commands::{token}\n{body}::{token}::\n"
