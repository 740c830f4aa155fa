"""Deliver a report on every GitHub channel: log, annotations, summary, files, PR comment."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TextIO

from secure_gate import __version__
from secure_gate.github import files
from secure_gate.github.api import ApiError, GitHubClient, RateLimited, Sleeper
from secure_gate.github.comment import cap_body, marker, upsert_comment
from secure_gate.github.context import GitHubContext
from secure_gate.model import Report
from secure_gate.redact import redact
from secure_gate.report.escape import command_data, command_property


class Console:
    """Our own workflow commands on stdout; everything untrusted goes through escape.py."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def line(self, text: str) -> None:
        """Write one line we built (callers escape anything untrusted inside it)."""
        self._out.write(text if text.endswith("\n") else text + "\n")

    def mask(self, secret: str) -> None:
        """Register a secret with the runner's masker (``::add-mask::``)."""
        if secret.strip():
            self.line(f"::add-mask::{command_data(secret)}")

    def _command(self, kind: str, message: str, title: str | None) -> None:
        props = f" title={command_property(title)}" if title else ""
        # Errors and notices can quote config values or tool output: no URL credential.
        self.line(f"::{kind}{props}::{command_data(redact(message))}")

    def error(self, message: str, *, title: str | None = None) -> None:
        """An error annotation."""
        self._command("error", message, title)

    def warning(self, message: str, *, title: str | None = None) -> None:
        """A warning annotation."""
        self._command("warning", message, title)

    def notice(self, message: str, *, title: str | None = None) -> None:
        """A notice annotation."""
        self._command("notice", message, title)

    def flush(self) -> None:
        """Flush stdout so the runner sees the commands before the exit code."""
        self._out.flush()


@dataclass
class Delivered:
    """The outputs the channels produced, and whether a requested one could not be made."""

    outputs: dict[str, str] = field(default_factory=dict)
    failed: bool = False


def _log(report: Report, console: Console) -> None:
    from secure_gate.report.annotations import new_stop_token, wrap_raw
    from secure_gate.report.text import render_text

    console.line(f"::group::secure-gate {__version__}: full report")
    # The text report quotes file names and tool output: commands are stopped around it.
    console.line(wrap_raw(render_text(report), new_stop_token()))
    console.line("::endgroup::")


def _report_files(ctx: GitHubContext, report: Report, console: Console,
                  done: Delivered) -> None:
    from secure_gate.report.formats import FORMATS, FormatOptions

    wanted = {"sarif-file": ctx.inputs.sarif_file, "json-file": ctx.inputs.json_file,
              "markdown-file": ctx.inputs.markdown_file}
    for fmt in FORMATS.values():
        relative = wanted.get(fmt.action_input)
        if relative is None:
            continue
        name = fmt.action_input
        try:
            rendered = fmt.render(report, FormatOptions(sarif_category=ctx.sarif_category))
            files.write_report(ctx.workspace, relative, rendered.text)
            for note in rendered.notices:  # what had to be cut to stay within GitHub's limits
                console.notice(f"{relative}: {note}", title="secure-gate")
        except (OSError, files.FileCommandError) as exc:
            console.error(f"could not write {relative}: {exc}", title=f"secure-gate {name}")
            done.failed = True
            continue
        done.outputs[name] = relative


def _summary(ctx: GitHubContext, report: Report, console: Console, note: str) -> None:
    from secure_gate.report.markdown import MarkdownOptions, markdown_document

    if ctx.summary_file is None:
        return
    budget = files.summary_budget(ctx.summary_file)
    rendered = markdown_document(report, MarkdownOptions(max_bytes=min(1_000_000, budget),
                                                         overflow_note=note))
    try:
        files.append_summary(ctx.summary_file, rendered.text)
    except (OSError, files.FileCommandError) as exc:
        console.warning(f"could not write the job summary: {exc}", title="secure-gate")


def publish(ctx: GitHubContext, report: Report, console: Console, *, sleep: Sleeper
            ) -> Delivered:
    """Every channel in turn; a channel that fails says so and the others still run."""
    from secure_gate.report.annotations import AnnotationOptions, render_annotations

    done = Delivered()
    _log(report, console)
    if ctx.inputs.annotations != "none":
        changed = None
        if ctx.inputs.annotations == "changed" and ctx.event.pr_number is not None:
            changed = report.changed_lines
            if changed is None:
                console.notice("annotations: changed needs diff-base (auto) to know which "
                               "lines the pull request changed; every finding is annotated",
                               title="secure-gate")
        console.line(render_annotations(report, AnnotationOptions(changed=changed)))
    _report_files(ctx, report, console, done)
    kept = [name for name, given in (("SARIF", ctx.inputs.sarif_file),
                                      ("JSON", ctx.inputs.json_file)) if given]
    _summary(ctx, report, console, "Full list in this step's log (the \"full report\" group)"
             + (f" and the {' and '.join(kept)} report." if kept else "."))
    comment_url = post_comment(ctx, report, console, sleep)
    if comment_url:
        done.outputs["comment-url"] = comment_url
    return done


def wants_new_comment(mode: str, report: Report) -> bool:
    """Whether this run may start a comment (an existing one is always kept up to date).

    ``always``: every run; ``on-failure``: when the gate failed; ``changed``: when it
    failed or the pull request adds findings of any severity (not suppressed ones);
    ``never``: no comment at all.
    """
    if mode == "always":
        return True
    if mode == "changed" and any(f.new and not f.suppressed for f in report.findings):
        return True
    return mode != "never" and not report.passed


def post_comment(ctx: GitHubContext, report: Report, console: Console, sleep: Sleeper
                 ) -> str | None:
    """The sticky PR comment (a digest), or a notice/warning saying why there is none."""
    from secure_gate.report.digest import DigestOptions, render_digest

    event = ctx.event
    mode = ctx.inputs.comment
    if mode == "never" or event.pr_number is None or ctx.repository is None:
        return None
    if not ctx.inputs.github_token:
        console.notice("no github-token: the PR comment was skipped (annotations, the job "
                       "summary, outputs and the exit code are unaffected)", title="secure-gate")
        return None
    mark = marker(ctx.inputs.comment_tag)
    written = tuple(f for f in (ctx.inputs.json_file, ctx.inputs.sarif_file) if f)
    options = DigestOptions(marker=mark, run_url=ctx.run_url, artifacts=written)
    client = GitHubClient(ctx.api_url, ctx.graphql_url, ctx.inputs.github_token, sleep=sleep)
    create = wants_new_comment(mode, report)
    try:
        try:
            result = upsert_comment(client, ctx.repository, event.pr_number,
                                    cap_body(render_digest(report, options), _POINTER), mark,
                                    create=create)
        except ApiError as exc:
            if exc.status != 422:
                raise
            # GitHub refused the body (too long by its count): the verdict and links only.
            short = replace(options, locations=3, groups=0, max_chars=4_000)
            result = upsert_comment(client, ctx.repository, event.pr_number,
                                    render_digest(report, short), mark, create=create)
    except ApiError as exc:
        _comment_failed(ctx, console, exc)
        return None
    if result is None:
        console.notice(f"no PR comment: the gate passed (comment: {mode})", title="secure-gate")
        return None
    console.notice(f"PR comment {result.action}: {result.url}", title="secure-gate")
    return result.url


_POINTER = "The job summary of this run has the full report."


def _comment_failed(ctx: GitHubContext, console: Console, exc: ApiError) -> None:
    event = ctx.event
    if isinstance(exc, RateLimited):
        console.warning(f"the PR comment was skipped: GitHub's rate limit ({exc}); the "
                        "result is unaffected", title="secure-gate")
    elif exc.status == 403 and (event.fork or ctx.actor == "dependabot[bot]"):
        who = "a fork" if event.fork else "Dependabot"
        console.notice(f"this pull request comes from {who}, whose token is read-only: "
                       "the PR comment was skipped (annotations, the job summary, outputs "
                       "and the exit code are unaffected)", title="secure-gate")
    elif exc.status == 403:
        console.warning(f"the PR comment was skipped: the token may not comment ({exc}); "
                        "grant the job pull-requests: write", title="secure-gate")
    else:
        console.warning(f"the PR comment was skipped: {exc}", title="secure-gate")
