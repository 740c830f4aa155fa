"""What the gate says about each zizmor audit: a title, a fix hint, and its few re-ratings."""

from __future__ import annotations

from dataclasses import dataclass

from secure_gate.model import Severity

DOCS = "https://docs.zizmor.sh/audits/"


@dataclass(frozen=True, slots=True)
class AuditInfo:
    """A title and a fix hint; ``severity`` replaces zizmor's own rating when set."""

    title: str
    fix: str
    severity: Severity | None = None


_ENV_VAR = ("pass the value through an intermediate environment variable (`env: TITLE: ${{ "
            "github.event.issue.title }}`) and use it quoted in the script (`\"$TITLE\"`), "
            "never `${{ }}` inside `run:`")

AUDITS: dict[str, AuditInfo] = {
    "template-injection": AuditInfo(
        "Expression injection into a script", _ENV_VAR),
    "artipacked": AuditInfo(
        "Checkout credentials persisted where artifacts can carry them",
        "set `persist-credentials: false` on actions/checkout (and never upload the "
        "checkout's `.git` folder); use `persist-credentials: true` only where git needs it"),
    "dangerous-triggers": AuditInfo(
        "Privileged trigger that can run untrusted code",
        "use `pull_request` instead of `pull_request_target` (and `workflow_call` instead of "
        "`workflow_run`); if the privileged trigger is needed, never check out or run the "
        "pull request's code in it"),
    "secrets-inherit": AuditInfo(
        "All secrets handed to a called workflow",
        "replace `secrets: inherit` with a `secrets:` block that passes only the secrets the "
        "called workflow needs",
        # secure-gate's rating: every repository and organisation secret reaches code that the
        # caller's reviewers do not see in the change (zizmor rates it medium).
        Severity.HIGH),
    "insecure-commands": AuditInfo(
        "Insecure workflow commands enabled",
        "remove `ACTIONS_ALLOW_UNSECURE_COMMANDS`; write to `$GITHUB_ENV` and `$GITHUB_PATH` "
        "files instead of `::set-env::` and `::add-path::`"),
    "cache-poisoning": AuditInfo(
        "Release built from a cache others can write",
        "do not restore caches in workflows that publish: remove the cache step, disable it "
        "with `if:` on release triggers, or turn the action's cache input off"),
    "github-env": AuditInfo(
        "Attacker-controlled value written to GITHUB_ENV or GITHUB_PATH",
        "write only literal or trusted values to `$GITHUB_ENV`/`$GITHUB_PATH`; pass state "
        "between steps through `$GITHUB_OUTPUT`"),
    "excessive-permissions": AuditInfo(
        "Workflow token permissions broader than needed",
        "`permissions: {}` (or `contents: read`) at the top of the workflow, and write scopes "
        "only on the jobs that need them"),
    "unpinned-uses": AuditInfo(
        "Action not pinned to a commit SHA",
        "pin `uses:` to a full commit SHA with the version as a comment "
        "(`owner/action@<40-hex sha> # v4.2.2`)",
        # The contract's rating of an unpinned action (the pins scanner's unpinned-action).
        Severity.MEDIUM),
    "unpinned-images": AuditInfo(
        "Container image not pinned by digest",
        "pin the image by digest: `image@sha256:<digest>`",
        Severity.MEDIUM),  # the contract's rating of an unpinned image
    "dependabot-execution": AuditInfo(
        "Dependabot may run code from dependencies",
        "remove `insecure-external-code-execution: allow` (the default is `deny`)"),
    "dependabot-cooldown": AuditInfo(
        "Dependabot updates without a cooldown",
        "add `cooldown: {default-days: 7}` to each updater"),
    "hardcoded-container-credentials": AuditInfo(
        "Container registry credentials in the workflow",
        "use `${{ secrets.NAME }}` for `credentials: password:`"),
    "self-hosted-runner": AuditInfo(
        "Self-hosted runner", "use GitHub-hosted runners on public repositories, or require "
        "approval for outside contributors' workflows"),
    "overprovisioned-secrets": AuditInfo(
        "Whole secrets context exposed", "refer to each secret by name (`secrets.NAME`), "
        "never `toJSON(secrets)`"),
    "unredacted-secrets": AuditInfo(
        "Secret used as structured data (escapes log redaction)",
        "store each field as its own secret"),
    "bot-conditions": AuditInfo(
        "Spoofable bot check", "check `github.event.pull_request.user.login`, not "
        "`github.actor`"),
    "unsound-condition": AuditInfo(
        "Condition that is always true", "write `if:` as one bare expression, without text "
        "around `${{ }}`"),
    "unsound-contains": AuditInfo(
        "Bypassable contains() check", "compare against a list: `contains(fromJSON('[...]'), "
        "github.ref)`"),
    "use-trusted-publishing": AuditInfo(
        "Package published with a long-lived token",
        "publish with Trusted Publishing (OIDC, `id-token: write`) instead of an API token"),
    "insecure-url-scheme": AuditInfo(
        "Download over an insecure URL scheme", "use `https://` (or `ssh://` for git)"),
    "known-vulnerable-actions": AuditInfo(
        "Action with a known vulnerability", "upgrade to a fixed version, or remove it"),
    "impostor-commit": AuditInfo(
        "Commit that is not in the action's repository",
        "replace the SHA with one from the action's own repository"),
    "ref-confusion": AuditInfo(
        "Ref that is both a branch and a tag", "pin the action to a commit SHA"),
    "ref-version-mismatch": AuditInfo(
        "Version comment does not match the pinned commit",
        "update the version comment to the tag of the pinned commit"),
    "stale-action-refs": AuditInfo(
        "Pinned commit is not a release", "pin to the commit of a tagged release"),
}


def info(ident: str, desc: str) -> AuditInfo:
    """The table's entry, or zizmor's own description and a pointer to its documentation."""
    known = AUDITS.get(ident)
    if known is not None:
        return known
    title = desc[:1].upper() + desc[1:] if desc else ident
    return AuditInfo(title, f"see {DOCS}#{ident}")
