"""GitHub annotations as workflow commands, within the runner's budget, escaped as it decodes."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from secure_gate.model import Finding, Report, Status
from secure_gate.report import policy_changes
from secure_gate.report.escape import command_data, command_property, terminal
from secure_gate.report.grouping import fixed_by, group, is_pin
from secure_gate.report.rendered import plural
from secure_gate.report.sarif_rules import result_level

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}
_LEVEL_RANK = ("notice", "warning", "error")
_LISTED = 20  # advisory ids named in a pin's annotation
# Commands the runner knows (ActionCommandManager): a stop token must be none of these.
RUNNER_COMMANDS = frozenset({
    "add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
    "internal-set-repo-path", "notice", "remove-matcher", "save-state", "set-env",
    "set-output", "stop-commands", "warning", "pause-logging",
})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{7,128}")


@dataclass(frozen=True, slots=True)
class AnnotationOptions:
    """The per-level budget (GitHub shows 10 of each level per step), a path prefix, and
    on a pull request the lines it changed.

    ``path_prefix`` is put before repo-relative paths when the repository is checked out
    in a sub-folder of the workspace (the Action's ``path`` input). ``changed`` maps each
    changed path to its changed lines: only findings on those lines (or, for a finding
    about a whole file, in those files) are annotated; None annotates every finding.
    """

    per_level: int = 10
    path_prefix: str = ""
    changed: Mapping[str, frozenset[int]] | None = None

    def __post_init__(self) -> None:
        if self.per_level < 1:
            raise ValueError(f"per_level must be at least 1, got {self.per_level}")


def on_changed_lines(finding: Finding, changed: Mapping[str, frozenset[int]] | None) -> bool:
    """The finding is on a line the pull request changed (or in a changed file, when it is
    about the whole file); every finding is when there is no diff."""
    if changed is None:
        return True
    lines = changed.get(finding.location.path)
    if lines is None:
        return False
    loc = finding.location
    if loc.line is None:
        return True
    return any(n in lines for n in range(loc.line, (loc.end_line or loc.line) + 1))


def render_annotations(report: Report, options: AnnotationOptions | None = None) -> str:
    """One workflow command per line: scanner errors, the chosen findings, then one notice.

    Suppressed findings are never annotated, nor findings off the changed lines when
    ``changed`` is given. Every advisory of one pin is one annotation. Each level gets at
    most ``per_level`` annotations, chosen new first, then blocking, most severe and most
    confident, and printed in the report's order. If any were left out, a final notice
    says how many (over the budget, off the changed lines) and where the full list is.
    """
    opts = options or AnnotationOptions()
    errors = [s for s in report.scanners if s.status is Status.ERROR]
    shown_errors = errors[:opts.per_level]
    candidates = [f for f in report.findings if not f.suppressed]
    outside = sum(1 for f in candidates if not on_changed_lines(f, opts.changed))
    items = _fold([f for f in candidates if on_changed_lines(f, opts.changed)])
    policy = _policy_warning(report, opts)
    used = Counter({"error": len(shown_errors), "warning": 1 if policy else 0})
    chosen = _choose(items, opts.per_level, used)
    left = sum(len(i) for i in items) - sum(len(items[i]) for i in chosen)
    left_errors = len(errors) - len(shown_errors)
    if (left or outside or left_errors) and used["notice"] >= opts.per_level:
        # The last notice slot goes to the overflow notice: free the weakest notice.
        weakest = next(i for i in reversed(chosen) if _level(items[i]) == "notice")
        chosen.remove(weakest)
        left += len(items[weakest])
    lines = [_scanner_error(s.name, s.message) for s in shown_errors]
    lines += [policy] if policy else []
    # Printed in the report's order, as every other channel lists findings.
    lines += [_annotation(items[i], opts) for i in sorted(chosen)]
    if left or outside or left_errors:
        lines.append(_overflow(left, outside, left_errors, opts.per_level))
    return "".join(line + "\n" for line in lines)


Item = tuple[Finding, ...]  # one annotation: a finding, or every advisory of one pin


def _fold(findings: Sequence[Finding]) -> list[Item]:
    out: list[Item] = []
    for g in group(findings):
        if is_pin(g.first):
            out.append(g.findings)
        else:
            out.extend((f,) for f in g.findings)
    return out


def _level(item: Item) -> str:
    return max((_LEVELS[result_level(f)] for f in item), key=_LEVEL_RANK.index)


def _priority(item: Item) -> tuple[int, int, int, int]:
    return (0 if any(f.new for f in item) else 1, 0 if any(f.blocking for f in item) else 1,
            -max(int(f.severity) for f in item), -max(int(f.confidence) for f in item))


def _choose(items: Sequence[Item], per_level: int, used: Counter[str]) -> list[int]:
    """The indexes of the items that fit the budget, in priority order."""
    order = sorted(range(len(items)), key=lambda i: (_priority(items[i]), i))
    chosen: list[int] = []
    for i in order:
        level = _level(items[i])
        if used[level] < per_level:
            used[level] += 1
            chosen.append(i)
    return chosen


def _command(level: str, properties: Sequence[tuple[str, str]], message: str) -> str:
    props = ",".join(f"{key}={command_property(value)}" for key, value in properties if value)
    return f"::{level} {props}::{command_data(message)}"


def _scanner_error(name: str, message: str | None) -> str:
    title = f"secure-gate: {terminal(name, limit=60)} did not complete"
    return _command("error", [("title", title)],
                    terminal(message or "no reason given", limit=1000))


def _annotation(item: Item, opts: AnnotationOptions) -> str:
    finding = item[0]
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
    if len(item) > 1:
        title, message = _pin_text(item)
    else:
        title = (f"{terminal(finding.scanner, limit=60)} {terminal(finding.rule, limit=100)}: "
                 f"{terminal(finding.title, limit=200)}")
        message = terminal(finding.message or finding.title, limit=1500) + "\n" + _facts(
            finding)
        if finding.fix:
            message += "\nFix: " + terminal(finding.fix, limit=500)
    # Last, so the runner's trim of the property list never eats a path's trailing space.
    props.append(("title", title.rstrip() or "secure-gate"))
    return _command(_level(item), props, message)


def _facts(finding: Finding) -> str:
    facts = [f"severity {finding.severity.label}", f"confidence {finding.confidence.label}"]
    if finding.blocking:
        facts.append("blocking")
    if finding.new is not None:
        word = "new" if finding.new else "not new"
        facts.append(f"{word}: {terminal(finding.new_reason, limit=200)}"
                     if finding.new_reason else word)
    return ", ".join(facts)


def _pin_text(item: Item) -> tuple[str, str]:
    """Title and message of one annotation for every advisory of one pin."""
    first = item[0]
    version, unfixed = fixed_by(item)
    title = (f"{terminal(first.scanner, limit=60)}: {len(item)} known vulnerabilities in "
             "this pin" + (f"; upgrade to {terminal(version, limit=60)}" if version else ""))
    listed = [f"{terminal(f.rule, limit=60)} ({f.severity.label}"
              + (", blocking" if f.blocking else "") + ")" for f in item[:_LISTED]]
    more = f" and {len(item) - _LISTED} more" if len(item) > _LISTED else ""
    message = (terminal(first.message or first.title, limit=300) + "\n"
               + f"Advisories: {', '.join(listed)}{more}.\n" + _facts(first))
    if version:
        message += (f"\nFix: upgrade to {terminal(version, limit=60)}, the lowest version "
                    f"that fixes all {len(item) - unfixed} with a known fix"
                    + (f" ({unfixed} have none)" if unfixed else "") + ".")
    else:
        message += "\nNo fixed version is known."
    return title, message


def _policy_warning(report: Report, opts: AnnotationOptions) -> str | None:
    """One warning on the config line the change relaxed, naming every relaxation."""
    title = policy_changes.headline(report)
    if title is None:
        return None
    first = next((c for c in report.policy_changes if c.effect == "relaxes"),
                 report.policy_changes[0])
    props: list[tuple[str, str]] = []
    if first.path:
        prefix = opts.path_prefix.rstrip("/")
        props.append(("file", f"{prefix}/{first.path}" if prefix else first.path))
        if first.line:
            props += [("line", str(first.line)), ("endLine", str(first.line))]
    props.append(("title", "secure-gate: this change edits the gate's policy"))
    return _command("warning", props, terminal(title, limit=3000))


def _overflow(left: int, outside: int, errors_left: int, per_level: int) -> str:
    parts = []
    if left or errors_left:
        extra = f" (including {plural(errors_left, 'scanner error')})" if errors_left else ""
        parts.append(f"{plural(left + errors_left, 'more finding')}{extra} not annotated "
                     f"here: GitHub shows {plural(per_level, 'annotation')} of each level "
                     "per step.")
    if outside:
        parts.append(f"{plural(outside, 'finding')} on lines this pull request did not "
                     "change are not annotated.")
    message = " ".join(parts) + " The job summary and the SARIF report list them all."
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
