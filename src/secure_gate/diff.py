"""Diff mode: scan the base commit's blobs the same way and mark each head finding new or not."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from secure_gate import files, git, run
from secure_gate.config import Config
from secure_gate.errors import UsageError
from secure_gate.globs import GlobSet
from secure_gate.model import (
    Confidence,
    Finding,
    Location,
    Severity,
    Status,
    assign_fingerprints,
)
from secure_gate.policy import NewInfo
from secure_gate.scanners import get

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class Changes:
    """What differs between the base commit and the work tree, relative to the scan root."""

    base: str
    changed: frozenset[str]                      # head paths added, modified or renamed
    renamed: Mapping[str, str]                   # head path -> base path
    lines: Mapping[str, frozenset[int]] = field(default_factory=dict)  # head path -> lines


@dataclass(frozen=True, slots=True)
class Comparison:
    """Diff mode's answer: new or not for each head fingerprint, and anything to tell."""

    new: Mapping[str, NewInfo]
    notices: tuple[str, ...]
    # Every changed head path and the lines it added or changed (none for a pure rename).
    changed_lines: Mapping[str, frozenset[int]] = field(default_factory=dict)
    # unscanned-file findings: new or changed files no scanner could read.
    extra: tuple[Finding, ...] = ()


def resolve_base(root: Path, ref: str, flag: str = "--diff-base") -> str:
    """The commit a ``--diff-base`` names; a clear error when the clone does not have it."""
    if ref.startswith("-"):
        raise UsageError(f"{flag} {ref!r} is not a git revision")
    sha = git.resolve_commit(root, ref)
    if sha is None:
        raise UsageError(
            f"{flag} {ref!r} is not a commit in this clone; fetch it first (with "
            "actions/checkout, set `fetch-depth: 0`, or fetch the base ref)")
    return sha


def unquote(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path in patch headers."""
    if not (raw.startswith(b'"') and raw.endswith(b'"')):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    simple = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
              ord("r"): 13, ord('"'): 34, ord("\\"): 92}
    while i < len(body):
        char = body[i]
        if char == 92 and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if 48 <= nxt <= 55:
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out.append(char)
        i += 1
    return bytes(out)


def changed_lines(patch: bytes) -> dict[str, frozenset[int]]:
    """Added or modified line numbers per new path, from ``git diff -U0`` output."""
    out: dict[str, set[int]] = {}
    current: str | None = None
    for line in patch.split(b"\n"):
        if line.startswith(b"+++ "):
            target = unquote(line[4:].rstrip(b"\t"))
            current = None if target == b"/dev/null" else git.decode_path(target[2:])
            if current is not None:
                out.setdefault(current, set())
        elif current is not None and (match := _HUNK.match(line)):
            start, count = int(match.group(1)), int(match.group(2) or 1)
            out[current].update(range(start, start + count))
    return {k: frozenset(v) for k, v in out.items()}


def changes(root: Path, base: str) -> Changes:
    """Name-status and line-level changes between ``base`` and the work tree."""
    raw = git.diff_name_status(root, base)
    parts = raw.split(b"\0")
    changed: set[str] = set()
    renamed: dict[str, str] = {}
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i].decode()
        if status[0] in "RC":
            old, new = git.decode_path(parts[i + 1]), git.decode_path(parts[i + 2])
            changed.add(new)
            if status[0] == "R":
                renamed[new] = old
            i += 3
            continue
        if status[0] != "D":
            changed.add(git.decode_path(parts[i + 1]))
        i += 2
    patch = git.diff_patch(root, base)
    return Changes(base, frozenset(changed), renamed, changed_lines(patch))


def materialise(root: Path, base: str, into: Path, wanted: set[str] | None,
                max_size: int) -> list[str]:
    """Write the base commit's regular files (all, or ``wanted``) under ``into``.

    Blobs are read with ``git cat-file``: no checkout, no hooks, no filters, no attributes.
    """
    entries = [(b.path, b.oid) for b in git.tree_files(root, base)
               if (wanted is None or b.path in wanted) and b.size <= max_size]
    # Symlinks, submodules and oversized blobs are never scanned anyway.
    write_blobs(root, entries, into)
    return [rel for rel, _ in entries]


def write_blobs(root: Path, entries: Sequence[tuple[str, str]], into: Path) -> None:
    """Write each (path, blob id) under ``into`` from one ``git cat-file --batch``."""
    for (rel, _), body in zip(entries, git.read_blobs(root, [oid for _, oid in entries]),
                              strict=True):
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def materialise_index(root: Path, into: Path) -> list[str]:
    """Write the staged (index) version of every added, copied, modified or renamed file.

    Work-tree edits that are not staged are not what the commit will contain, so a native
    pre-commit hook scans these blobs instead.
    """
    staged = git.staged_names(root)
    if not staged:
        return []
    entries = [(b.path, b.oid) for b in git.index_files(root, staged)]
    # Oversized blobs are written too: the walk counts them as not scanned, visibly.
    write_blobs(root, entries, into)
    return [rel for rel, _ in entries]


def compare(config: Config, options: run.RunOptions, collected: run.Collected) -> Comparison:
    """Scan the base the same way and decide, per head finding, whether it is new."""
    root = collected.fileset.root
    base = resolve_base(root, options.diff_base or "HEAD")
    diff = changes(root, base)
    # The base commit's committer date, in UTC, comparable with advisories' dates as text.
    base_time = git.commit_time_utc(root, base)
    # Findings carry the walk's display path; the diff knows git's decoded bytes. One key for
    # both (a name that is not UTF-8 differs between the two forms), and only files the base
    # commit has can be "unchanged": a path the diff does not know counts as new.
    shown = files.display_path
    changed = {shown(p) for p in diff.changed}
    changed_lines = {shown(p): v for p, v in diff.lines.items()}
    in_base = {shown(b.path) for b in git.tree_files(root, base)}
    notices: list[str] = []
    ran = [r.name for r in collected.results if r.status is not Status.SKIPPED]
    per_file = [n for n in ran if get(n).per_file]
    by_line = [n for n in ran if get(n).diff_by_line]
    whole = [n for n in ran if n not in per_file and n not in by_line]
    excludes = GlobSet(config.exclude)
    wanted = {diff.renamed.get(p, p) for p in diff.changed}
    base_findings: list[Finding] = []
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="secure-gate-base-") as tmp:
        into = Path(tmp)
        written = materialise(root, base, into, None if whole else wanted,
                              config.max_file_size)
        written = [p for p in written if not excludes.matches(p)]
        runs: list[tuple[list[str], Sequence[str]]] = []
        if per_file:
            runs.append((per_file, [p for p in written if p in wanted]))
        if whole:
            runs.append((whole, written))
        for names, listing in runs:
            base_run = replace(options, root=into, listing=tuple(listing), scanners=tuple(names),
                               paths=(), diff_base=None, pool=None)
            result = run.collect(config, base_run)
            for scanner in result.results:
                if scanner.status is Status.ERROR:
                    failed[scanner.name] = scanner.message or "error"
            base_findings.extend(f for r in result.results for f in r.findings)
        shutil.rmtree(into, ignore_errors=True)
    for name, message in sorted(failed.items()):
        notices.append(f"diff mode: the base scan of {name} did not complete ({message}); its "
                       "findings in changed files all count as new")
    # Findings in renamed files carry the base path: give them the head path, fingerprint again.
    back = {shown(old): shown(new) for new, old in diff.renamed.items()}
    moved = [f.replace(location=replace(f.location, path=back.get(f.location.path,
                                                                  f.location.path)))
             for f in base_findings]
    stamped = assign_fingerprints(moved)
    available = Counter(f.fingerprint for f in stamped)
    # Inline suppressions the base already had: any other one on a head finding is the change's.
    inline_at_base = Counter(f.fingerprint for f in stamped
                             if f.suppression is not None and f.suppression.kind == "inline")
    new: dict[str, NewInfo] = {}
    for finding in collected.findings:
        path = finding.location.path
        if finding.scanner in by_line:
            lines = changed_lines.get(path)
            touched = path in changed or path not in in_base
            if touched and (lines is None or finding.location.line is None
                          or finding.location.line in lines):
                new[finding.fingerprint] = NewInfo(True, "the line that pins it changed")
            elif finding.published and finding.published > base_time:
                new[finding.fingerprint] = NewInfo(
                    True, f"the advisory was published ({finding.published[:10]}) after the "
                          f"base commit ({base_time[:10]})")
            else:
                new[finding.fingerprint] = NewInfo(False, "its pin is unchanged since the base")
        elif finding.scanner in per_file and path not in changed and path in in_base:
            new[finding.fingerprint] = NewInfo(False, "file unchanged since the base")
        elif finding.scanner in failed:
            new[finding.fingerprint] = NewInfo(True, "the base could not be scanned")
        elif available[finding.fingerprint] > 0:
            available[finding.fingerprint] -= 1
            new[finding.fingerprint] = NewInfo(False, "present at the base")
        else:
            new[finding.fingerprint] = NewInfo(True, "not present at the base")
        info = new[finding.fingerprint]
        if finding.suppression is not None and finding.suppression.kind == "inline" \
                and info.reason != "file unchanged since the base":
            if inline_at_base[finding.fingerprint] > 0:
                inline_at_base[finding.fingerprint] -= 1
            else:
                new[finding.fingerprint] = replace(info, new_suppression=True)
    extra = unscanned_findings(collected, ran, changed, in_base)
    extra += too_long(collected, new)
    for finding in extra:
        new[finding.fingerprint] = NewInfo(True, "new or changed, and no scanner could read it")
    return Comparison(new, tuple(notices),
                      {p: changed_lines.get(p, frozenset()) for p in changed}, tuple(extra))


_WHY = {"binary": "it is binary", "oversized": "it is larger than max-file-size",
        "unreadable": "it could not be read"}


def unscanned_findings(collected: run.Collected, ran: Sequence[str], changed: set[str],
                       in_base: set[str]) -> list[Finding]:
    """A blocking ``unscanned-file`` finding for each new or changed file no scanner read.

    Such a file could hold anything the change wants to hide (bare bandit and detect-secrets
    find a secret after 5 MiB of padding, or behind a NUL byte); only the trusted policy's
    ``exclude`` can let it through. It is reported under the scanner that reads every text
    file (detect-secrets), or else the first scanner that ran.
    """
    owner = next((n for n in ran if get(n).reads_all_text), ran[0] if ran else None)
    if owner is None:
        return []
    out = []
    for path, why in collected.fileset.unscanned:
        if path not in changed and path in in_base:
            continue
        out.append(Finding.create(
            scanner=owner, rule="unscanned-file", title="New or changed file not scanned",
            severity=Severity.CRITICAL, confidence=Confidence.HIGH, location=Location(path),
            message=(f"This change adds or modifies a file that no scanner could read "
                     f"({_WHY.get(why, why)}), so nothing in it was checked. Exclude it in "
                     "the base commit's config if it is meant to be there."),
            evidence=f"unscanned-file\n{why}", tags=("security",)))
    return assign_fingerprints(out)


def too_long(collected: run.Collected, new: Mapping[str, NewInfo]) -> list[Finding]:
    """A blocking ``unscanned-file`` finding for each new line too long to scan."""
    out = [Finding.create(
        scanner=f.scanner, rule="unscanned-file", title="New line not scanned",
        severity=Severity.CRITICAL, confidence=Confidence.HIGH, location=f.location,
        message=("This change adds a line too long to scan for secrets (over 20,000 "
                 "characters), so nothing in it was checked. Exclude the file in the base "
                 "commit's config if it is meant to be there."),
        evidence=f"unscanned-line\n{f.evidence}", tags=("security",))
        for f in collected.findings
        if f.rule == "line-too-long" and new.get(f.fingerprint, NewInfo(True, "")).new]
    return assign_fingerprints(out)


def with_extra(collected: run.Collected, extra: Sequence[Finding]) -> run.Collected:
    """``collected`` with diff mode's own findings added to their scanner's result."""
    if not extra:
        return collected
    results = tuple(replace(r, findings=(*r.findings, *(f for f in extra if f.scanner == r.name)))
                    for r in collected.results)
    return replace(collected, results=results)
