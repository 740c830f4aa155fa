"""``fix: suggest``: the edits ``secure-gate fix`` would make, as one PR review of suggestions.

After the scan, on a pull request, the fixer runs as a dry run over a copy of the workspace.
Edits whose whole line range lies on lines the pull request added or changed (the RIGHT side
of its diff, as diff mode computed them) become ````suggestion`` review comments in ONE
review (``event: COMMENT``) on the PR's head commit; nothing is ever committed or pushed.
The rest are listed in the job summary as "would also fix (not in this change)".

Re-runs: every suggestion carries a hidden marker with a key made of its file, the lines it
replaces and the lines it proposes (not the line numbers, which move as the PR grows). A
review comment written by this token's own identity with that marker means the suggestion
was made already, on this or an earlier head: it is not posted again (applied, the finding
is gone and no edit comes back; dismissed, it stays dismissed).

Nothing here can change the gate's verdict or exit code: a read-only fork token, an
unreachable package index, a refused review are notices and warnings, never failures.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from secure_gate import git
from secure_gate.edits import Edit, Unfixed, lines_of
from secure_gate.github import files
from secure_gate.github.api import ApiError, GitHubClient, RateLimited, Sleeper
from secure_gate.github.comment import MAX_BODY_CHARS, cap_body, is_ours, pages, viewer_login
from secure_gate.github.context import GitHubContext
from secure_gate.model import Report
from secure_gate.report.escape import code_span, markdown, markdown_code

# GitHub documents no limit on a review's comments, but large reviews fail (422 "endpoint
# has been spammed", 502 on Enterprise) and a PR with hundreds of bot threads is slow to
# open; 30 keeps one review readable. The rest are counted and listed in the job summary.
MAX_SUGGESTIONS = 30
# The job summary's list of edits that are not placed on the change.
MAX_LISTED = 200
REVIEW_MARK = "<!-- secure-gate:fix-suggestions -->"
_KEY_MARK = "<!-- secure-gate:suggestion:{} -->"
_KEY = re.compile(r"<!-- secure-gate:suggestion:([0-9a-f]{24}) -->")
_TITLE = "secure-gate fix"


class Console(Protocol):
    """The workflow-command console of ``publish`` (notices and warnings)."""

    def notice(self, message: str, *, title: str | None = None) -> None:
        """A notice annotation."""

    def warning(self, message: str, *, title: str | None = None) -> None:
        """A warning annotation."""


def suggestion_key(edit: Edit) -> str:
    """What makes two suggestions the same: file, replaced lines, proposed lines."""
    data = json.dumps([edit.path, list(edit.expect), list(edit.new)], ensure_ascii=True)
    return hashlib.sha256(data.encode("ascii")).hexdigest()[:24]


def fence_for(lines: Sequence[str]) -> str:
    """A backtick fence longer than any backtick run in ``lines`` (so none can close it)."""
    longest = max((len(run) for line in lines for run in re.findall("`+", line)), default=0)
    return "`" * max(3, longest + 1)


def suggestion_body(edit: Edit) -> str:
    """One review comment: the hidden key, what the edit does, the ````suggestion`` block."""
    fence = fence_for(edit.new)
    block = "\n".join(edit.new)
    return (f"{_KEY_MARK.format(suggestion_key(edit))}\n"
            f"**{_TITLE}** {markdown_code(edit.rule)}: {markdown(edit.summary, limit=500)}\n\n"
            f"{fence}suggestion\n{block + chr(10) if edit.new else ''}{fence}\n")


def review_comment(edit: Edit, prefix: str) -> dict[str, Any]:
    """The review API's comment object for ``edit`` (RIGHT side; a range uses start_line)."""
    comment: dict[str, Any] = {"path": prefix + edit.path, "line": edit.end_line,
                               "side": "RIGHT", "body": suggestion_body(edit)}
    if edit.end_line > edit.line:  # equal start and end is refused ("must precede")
        comment.update(start_line=edit.line, start_side="RIGHT")
    return comment


def nameable(path: str) -> bool:
    """A path GitHub's API can be given as it is: the display form of a name with odd bytes
    spells them ``\\xNN`` (a backslash), which is not the file's real name."""
    return "\\" not in path and path.isprintable()


def _about(change_edits: Sequence[Edit], old: Sequence[str], new: Sequence[str]
           ) -> tuple[str, str]:
    """The rules and summaries of the fixer's edits that made this part of a change."""
    near = [e for e in change_edits
            if set(e.expect) & set(old) or set(e.new) & set(new)] or list(change_edits)
    rules = list(dict.fromkeys(e.rule for e in near))
    summaries = list(dict.fromkeys(e.summary for e in near))
    return ", ".join(rules) or "fix", "; ".join(summaries[:3]) + (
        f" (and {len(summaries) - 3} more)" if len(summaries) > 3 else "")


def regions(path: str, before: str, after: str, made: Sequence[Edit]) -> list[Edit]:
    """The net change of one file as edits of its ORIGINAL lines.

    The fixer works in rounds (a raised pin, then its hashes), so a later round's edits
    are numbered against the earlier round's text; a suggestion must replace lines as they
    are in the pull request. Each differing block of the file becomes one edit; a pure
    insertion is attached to the line above it (or below, at the top of the file).
    """
    import difflib

    old = lines_of(before.removeprefix("\ufeff"))
    new = lines_of(after.removeprefix("\ufeff"))
    mine = [e for e in made if e.path == path]
    out: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # an insertion: carry the neighbouring line along
            if not old:
                continue
            if i1 > 0:
                i1, lines = i1 - 1, (old[i1 - 1], *new[j1:j2])
            else:
                i2, lines = 1, (*new[j1:j2], old[0])
        else:
            lines = tuple(new[j1:j2])
        rule, summary = _about(mine, old[i1:i2], new[j1:j2])
        out.append(Edit(path, i1 + 1, i2, tuple(old[i1:i2]), lines, rule, summary))
    return out


@dataclass
class Placement:
    """The dry run's edits sorted: on the change (suggestable), and not (with why)."""

    on_change: list[Edit] = field(default_factory=list)
    elsewhere: list[tuple[Edit, str]] = field(default_factory=list)


def place(edits: Sequence[Edit], changed: Mapping[str, frozenset[int]],
          head_text: HeadText | None = None) -> Placement:
    """Edits whose whole range is on added/changed lines of the PR go on the change.

    ``head_text`` reads a file as it is at the PR's head commit (the workspace of a
    ``pull_request`` run is the merge commit, whose lines can differ): an edit whose
    expected lines are not the head's at the same numbers is not placed there.
    """
    out = Placement()
    for edit in sorted(edits, key=lambda e: (e.path, e.line)):
        lines = changed.get(edit.path, frozenset())
        if not all(n in lines for n in range(edit.line, edit.end_line + 1)):
            out.elsewhere.append((edit, "not in this change"))
        elif not nameable(edit.path):
            out.elsewhere.append((edit, "its file name cannot be given to GitHub"))
        elif head_text is not None and not _matches_head(edit, head_text):
            out.elsewhere.append((edit, "the lines differ at the pull request's head"))
        else:
            out.on_change.append(edit)
    return out


class HeadText(Protocol):
    """A file's text at the pull request's head commit, or None when it cannot be read."""

    def __call__(self, path: str) -> str | None:
        """The text of ``path`` (relative to the scan root)."""


def _matches_head(edit: Edit, head_text: HeadText) -> bool:
    text = head_text(edit.path)
    if text is None:
        return False
    lines = lines_of(text.removeprefix("\ufeff"))
    return tuple(lines[edit.line - 1:edit.end_line]) == edit.expect


def git_head_text(ctx: GitHubContext, head: str) -> tuple[HeadText | None, str]:
    """A reader of files at ``head`` (None when the workspace IS the head) and the scan
    root's prefix inside the repository (review paths are repository-relative)."""
    root = ctx.workspace
    try:
        prefix = git.show_prefix(root)
        current = git.resolve_commit(root, "HEAD")
    except git.GitError:
        return None, ""
    if current == head:
        return None, prefix

    cache: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in cache:
            try:
                blob = git.output(root, "cat-file", "blob", f"{head}:{prefix}{path}")
                cache[path] = blob.decode("utf-8")
            except (git.GitError, UnicodeDecodeError):
                cache[path] = None
        return cache[path]

    return read, prefix


@dataclass
class Outcome:
    """What ``fix: suggest`` did, for the job summary."""

    posted: int = 0
    review_url: str = ""
    already: int = 0
    left_out: int = 0
    elsewhere: list[tuple[Edit, str]] = field(default_factory=list)
    not_posted: list[Edit] = field(default_factory=list)  # on the change, but no review
    unfixed: list[Unfixed] = field(default_factory=list)  # what the fixers cannot edit
    asked: list[str] = field(default_factory=list)  # the services the fixers asked
    lines: list[str] = field(default_factory=list)  # notices shown in the summary too


def made_before(client: GitHubClient, repository: str, number: int) -> set[str]:
    """Keys of the suggestions this token's identity already made on the PR (review
    comments carrying a key marker; one someone else wrote with a marker does not count)."""
    login = viewer_login(client)
    keys: set[str] = set()
    url = f"{client.api_url}/repos/{repository}/pulls/{number}/comments"
    for comment in pages(client, url, "review comments"):
        if is_ours(comment, login, "<!-- secure-gate:suggestion:"):
            keys.update(_KEY.findall(str(comment.get("body", ""))))
    return keys


def review_body(count: int, left_out: int, elsewhere: int, run_url: str | None) -> str:
    """The review's own text: what it holds, that nothing was pushed, what is left out."""
    text = [REVIEW_MARK,
            f"**{_TITLE}** suggests {count} edit(s) on the lines this pull request changed. "
            "Nothing was pushed: review each and use *Commit suggestion* to apply it."]
    if left_out:
        text.append(f"{left_out} more suggestion(s) were left out (at most {MAX_SUGGESTIONS}"
                    " per review); the next run posts them.")
    if elsewhere:
        where = f"the [job summary]({run_url})" if run_url else "the job summary"
        text.append(f"{elsewhere} edit(s) outside this change are listed in {where}.")
    return "\n\n".join(text)


def post_review(client: GitHubClient, repository: str, number: int, head: str, body: str,
                comments: list[dict[str, Any]]) -> str:
    """One review of ``comments`` on the head commit (a single POST, never retried once
    sent); its address."""
    url = f"{client.api_url}/repos/{repository}/pulls/{number}/reviews"
    response = client.request("POST", url, json={
        "commit_id": head, "event": "COMMENT", "body": cap_body(body, ""),
        "comments": comments}, once=True)
    if response.status_code == 422:
        # GitHub says why in ``errors`` (strings or objects): name it, not just "Unprocessable".
        raise ApiError(422, _why(response))
    data = client.decode(response)
    link = data.get("html_url") if isinstance(data, dict) else None
    return link if isinstance(link, str) else ""


def _why(response: Any) -> str:
    try:
        data = response.json()
    except ValueError:
        return "the review was refused"
    errors = data.get("errors") if isinstance(data, dict) else None
    told = [e if isinstance(e, str) else str(e.get("message", "")) if isinstance(e, dict)
            else "" for e in errors] if isinstance(errors, list) else []
    message = data.get("message") if isinstance(data, dict) else None
    text = "; ".join(t for t in told if t) or (message if isinstance(message, str) else "")
    return (text or "the review was refused")[:300]


def _refused(ctx: GitHubContext, console: Console, exc: ApiError, out: Outcome) -> None:
    event = ctx.event
    if isinstance(exc, RateLimited):
        line = f"fix suggestions were not posted: GitHub's rate limit ({exc})"
        console.warning(line, title=_TITLE)
    elif exc.status == 403 and (event.fork or ctx.actor == "dependabot[bot]"):
        who = "a fork" if event.fork else "Dependabot"
        line = (f"this pull request comes from {who}, whose token is read-only: the fix "
                "suggestions were not posted (they are listed here)")
        console.notice(line, title=_TITLE)
    elif exc.status == 403:
        line = (f"fix suggestions were not posted: the token may not review ({exc}); grant "
                "the job pull-requests: write")
        console.warning(line, title=_TITLE)
    else:
        line = f"fix suggestions were not posted: GitHub refused the review ({exc})"
        console.warning(line, title=_TITLE)
    out.lines.append(line)


def publish_suggestions(ctx: GitHubContext, pull: tuple[str, int, str], placement: Placement,
                        console: Console, *, sleep: Sleeper) -> Outcome:
    """Post what is on the change and not suggested before, as one review on ``pull``
    (repository, number, head commit)."""
    repository, number, head = pull
    out = Outcome(elsewhere=list(placement.elsewhere))
    wanted = [e for e in placement.on_change if len(suggestion_body(e)) <= MAX_BODY_CHARS]
    out.elsewhere += [(e, "too long for a review comment") for e in placement.on_change
                      if e not in wanted]
    if not wanted:
        return out
    if not ctx.inputs.github_token:
        out.not_posted = list(wanted)
        line = "no github-token: the fix suggestions were not posted (they are listed here)"
        console.notice(line, title=_TITLE)
        out.lines.append(line)
        return out
    client = GitHubClient(ctx.api_url, ctx.graphql_url, ctx.inputs.github_token, sleep=sleep)
    _, prefix = git_head_text(ctx, head)
    fresh = list(wanted)
    try:
        before = made_before(client, repository, number)
        fresh = [e for e in wanted if suggestion_key(e) not in before]
        out.already = len(wanted) - len(fresh)
        batch, rest = fresh[:MAX_SUGGESTIONS], fresh[MAX_SUGGESTIONS:]
        out.left_out = len(rest)
        out.not_posted = list(rest)
        if not batch:
            line = f"fix: all {out.already} suggestion(s) on this change were made before"
            console.notice(line, title=_TITLE)
            out.lines.append(line)
            return out
        body = review_body(len(batch), len(rest), len(placement.elsewhere), ctx.run_url)
        out.review_url = post_review(client, repository, number, head, body,
                                     [review_comment(e, prefix) for e in batch])
        out.posted = len(batch)
    except ApiError as exc:
        out.not_posted, out.left_out = fresh, 0
        _refused(ctx, console, exc, out)
        return out
    console.notice(f"fix: {out.posted} suggestion(s) posted in a review: {out.review_url}"
                   if out.review_url else f"fix: {out.posted} suggestion(s) posted",
                   title=_TITLE)
    return out


def _edit_line(edit: Edit, why: str = "") -> str:
    where = f"{markdown_code(edit.path)}:{edit.line}" + (
        f"-{edit.end_line}" if edit.end_line > edit.line else "")
    tail = f" ({markdown(why)})" if why else ""
    return f"- {where} {markdown_code(edit.rule)}: {markdown(edit.summary, limit=300)}{tail}"


def summary_markdown(out: Outcome) -> str:
    """The job summary's section: posted, made before, left out, and every other edit."""
    text = [f"### {_TITLE}: suggestions", ""]
    if out.posted:
        link = f" ([the review]({out.review_url}))" if out.review_url.startswith(
            "https://") else ""
        text.append(f"{out.posted} suggestion(s) posted on the changed lines{link}.")
    if out.already:
        text.append(f"{out.already} suggestion(s) were made by an earlier run and not "
                    "posted again.")
    if out.left_out:
        text.append(f"{out.left_out} suggestion(s) were left out (at most "
                    f"{MAX_SUGGESTIONS} per review).")
    text.extend(markdown(line, limit=600) for line in out.lines)
    if not (out.posted or out.already or out.left_out or out.lines or out.elsewhere
            or out.not_posted):
        text.append("Nothing to suggest: the fixers have no edit for this change.")
    if out.not_posted:
        text += ["", f"**Suggestions not posted ({len(out.not_posted)})**", ""]
        text += [_edit_line(e) for e in out.not_posted[:MAX_LISTED]]
        if len(out.not_posted) > MAX_LISTED:
            text.append(f"- … and {len(out.not_posted) - MAX_LISTED} more")
    if out.elsewhere:
        text += ["", f"**Would also fix (not in this change): {len(out.elsewhere)}**", "",
                 "Run " + code_span("secure-gate fix") + " locally to make these edits.", ""]
        text += [_edit_line(e, "" if why == "not in this change" else why)
                 for e, why in out.elsewhere[:MAX_LISTED]]
        if len(out.elsewhere) > MAX_LISTED:
            text.append(f"- … and {len(out.elsewhere) - MAX_LISTED} more")
    if out.unfixed:
        text += ["", f"**Not fixable by an edit: {len(out.unfixed)}**", ""]
        for item in out.unfixed[:MAX_LISTED]:
            where = markdown_code(item.path) + (f":{item.line}" if item.line else "")
            text.append(f"- {where} {markdown_code(item.rule)}: "
                        f"{markdown(item.reason, limit=400)}")
        if len(out.unfixed) > MAX_LISTED:
            text.append(f"- … and {len(out.unfixed) - MAX_LISTED} more")
    text += ["", "Services asked: " + (markdown(", ".join(out.asked)) if out.asked
                                       else "none") + "."]
    return "\n".join(text) + "\n"


def write_summary(ctx: GitHubContext, console: Console, markdown_text: str) -> None:
    """Append to the job summary; cut to what the step's 1 MiB leaves (never fails)."""
    if ctx.summary_file is None:
        return
    budget = files.summary_budget(ctx.summary_file)
    if len(markdown_text.encode("utf-8")) > budget:
        cut = markdown_text.encode("utf-8")[:max(0, budget - 200)].decode("utf-8", "ignore")
        markdown_text = cut.rsplit("\n", 1)[0] + "\n\n(cut to fit the job summary)\n"
    try:
        files.append_summary(ctx.summary_file, markdown_text)
    except (OSError, files.FileCommandError) as exc:
        console.warning(f"could not write the fix suggestions to the job summary: {exc}",
                        title=_TITLE)


def suggest(ctx: GitHubContext, report: Report, console: Console, *, sleep: Sleeper) -> None:
    """The whole ``fix: suggest`` step; never raises (the gate's result is already made)."""
    try:
        _suggest(ctx, report, console, sleep=sleep)
    except Exception as exc:  # a crash here must not change the verdict
        line = f"fix suggestions failed: {type(exc).__name__}: {exc}"
        console.warning(line, title=_TITLE)
        write_summary(ctx, console, f"### {_TITLE}: suggestions\n\n{markdown(line)}\n")


def _skip(ctx: GitHubContext, console: Console, why: str) -> None:
    console.notice(f"fix: suggest: {why}", title=_TITLE)
    write_summary(ctx, console, f"### {_TITLE}: suggestions\n\n{markdown(why)}\n")


def _suggest(ctx: GitHubContext, report: Report, console: Console, *, sleep: Sleeper) -> None:
    from secure_gate import fixer
    from secure_gate.errors import GateError
    from secure_gate.github.scan import scan_request
    from secure_gate.net.http import Http
    from secure_gate.net.services import Services

    event = ctx.event
    if event.pr_number is None or event.head_sha is None or ctx.repository is None:
        _skip(ctx, console, "suggestions are made on pull requests only; this "
              f"{event.name or 'run'} event has none")
        return
    if ctx.inputs.shard is not None or ctx.inputs.merge is not None:
        _skip(ctx, console, "not in a sharded run: the legs would each post the same "
              "review; run a separate step with fix: suggest")
        return
    changed = report.changed_lines
    if changed is None:
        _skip(ctx, console, "needs diff-base: auto to know which lines the pull request "
              "changed; no suggestion was posted")
        return
    wanted = ctx.inputs.scanners
    only = tuple(n for n in fixer.fixing_scanners() if wanted is None or n in wanted)
    if not only:
        _skip(ctx, console, "none of the scanners this step runs can fix (fix knows "
              f"{', '.join(fixer.fixing_scanners())})")
        return
    services = Services(http=Http(timeout=15.0), github_api=ctx.api_url,
                        github_token=ctx.inputs.github_token or None)
    request = fixer.FixRequest(scan=scan_request(ctx.inputs, None, event), services=services,
                               only=only, dry_run=True)
    try:
        result = fixer.run(request)
    except GateError as exc:
        _skip(ctx, console, f"the fixer could not run (the gate's result is unaffected): "
              f"{exc}")
        return
    for error in result.service_errors:  # what the others could fix is still suggested
        console.notice(f"fix: suggest: {error}; the rest is suggested, and the gate's result "
                       "is unaffected", title=_TITLE)
    head_text, _ = git_head_text(ctx, event.head_sha)
    edits = [region for change in result.changes
             for region in regions(change.path, change.before, change.after, result.edits)]
    placement = place(edits, changed, head_text)
    out = publish_suggestions(ctx, (ctx.repository, event.pr_number, event.head_sha),
                              placement, console, sleep=sleep)
    out.lines.extend(f"the fixer's scan: {e}" for e in result.errors
                     if e not in result.service_errors)
    out.lines.extend(result.service_errors)
    out.unfixed, out.asked = list(result.unfixed), list(result.asked)
    write_summary(ctx, console, summary_markdown(out))
