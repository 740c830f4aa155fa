"""Secrets in every commit of the change: the blobs each commit of ``base..HEAD`` added.

A secret committed and deleted again inside one pull request is still published: its commits
stay fetchable. The scanners that declare ``history`` also scan each distinct blob the
change's commits added or modified (read with ``git cat-file``, never checked out), and a
secret found there and neither in the head nor in the base is a new finding naming its commit.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from secure_gate import diff, files, git, run
from secure_gate.config import Config
from secure_gate.errors import UsageError
from secure_gate.globs import GlobSet
from secure_gate.model import Finding, Location, ScannerResult, Status, assign_fingerprints
from secure_gate.policy import NewInfo
from secure_gate.scanners import get

MODES = ("off", "pr", "all")
_HEAD, _BASE = "h", "b"  # the two folders of the scan: the change's blobs and the base's
# A run of token characters in a commit subject is left out: a subject may quote the secret.
_TOKENISH = re.compile(r"[A-Za-z0-9_+/=\-]{20,}")


@dataclass(frozen=True, slots=True)
class Touch:
    """Where a blob first appeared in the range: its commit and its path there."""

    commit: git.Commit
    path: str


@dataclass(frozen=True, slots=True)
class Added:
    """What history scanning adds to a scan: results with the history findings, their
    new-or-not answers, and anything to tell."""

    results: tuple[ScannerResult, ...]
    new: Mapping[str, NewInfo]
    notices: tuple[str, ...]


def commits_in_range(root: Path, base: str | None) -> list[git.Commit]:
    """The commits of ``base..HEAD`` (all of HEAD's when None); exit 2 when a shallow clone
    does not hold the whole range."""
    commits = git.range_commits(root, "HEAD", base)
    cut = git.shallow_commits(root)
    if cut and ("?" in cut or any(c.sha in cut for c in commits)):
        span = f"{base[:12]}..HEAD" if base else "the history of HEAD"
        raise UsageError(
            f"history: this clone is shallow and does not hold every commit of {span}, so "
            "secrets in the change's earlier commits cannot be checked; fetch the whole "
            "history (actions/checkout: `fetch-depth: 0`) or set `history: off`")
    return commits


def touched_blobs(root: Path, commits: Sequence[git.Commit],
                  skip: frozenset[str]) -> dict[str, Touch]:
    """Each distinct blob the commits added or modified, at the first commit that did.

    A merge commit's blob counts only when it differs from every parent: what the merge
    brought in from the other side was committed there, not by this change.
    """
    out: dict[str, Touch] = {}
    for commit in commits:
        parents: Sequence[str | None] = commit.parents or (None,)
        sides = [git.added_or_changed(root, commit.sha, p) for p in parents]
        for path, oid in sides[0].items():
            if oid in skip or oid in out or any(s.get(path) != oid for s in sides[1:]):
                continue
            out[oid] = Touch(commit, path)
    return out


def _subject(text: str) -> str:
    shown = _TOKENISH.sub("…", text).strip()
    return shown[:80] + ("…" if len(shown) > 80 else "")


def _history_finding(finding: Finding, touch: Touch, line: int | None) -> Finding:
    commit = touch.commit
    where = f"{touch.path}" + (f", line {line}" if line else "")
    return finding.replace(
        location=Location(touch.path, line, line),
        message=(f"{finding.title} committed in {commit.sha} ({commit.author_date}, "
                 f"\"{_subject(commit.subject)}\") at {where}: it is in the change's history "
                 "even if a later commit removed or changed it."),
        fix=("Rotate this credential now: the commit that added it stays fetchable from the "
             "repository, its forks and clones, so deleting it in a later commit does not "
             "unpublish it. Then load it from the environment or a secret store."),
        tags=(*finding.tags, "history"),
    )


def _scan(config: Config, options: run.RunOptions, names: Sequence[str], root: Path,
          entries: Sequence[tuple[str, str]]) -> run.Collected:
    """Run ``names`` over the (listing path, blob id) entries, written under a temp dir."""
    with tempfile.TemporaryDirectory(prefix="secure-gate-history-") as tmp:
        diff.write_blobs(root, entries, Path(tmp))
        scoped = replace(options, root=Path(tmp), listing=tuple(p for p, _ in entries),
                         scanners=tuple(names), paths=(), diff_base=None, pool=None,
                         shard=None)
        return run.collect(config, scoped)


def _head_scanned(root: Path, collected: run.Collected) -> frozenset[str]:
    """Blob ids the head scan already read: HEAD's files that the walk scanned and that the
    work tree has unchanged (their secrets are head findings)."""
    if not collected.fileset.in_git:
        return frozenset()
    scanned = {f.path for f in collected.fileset.files}
    dirty = git.diff_name_status(root, "HEAD")  # paths relative to root, NUL-separated
    edited = {files.display_path(git.decode_path(p)) for p in dirty.split(b"\0") if p}
    return frozenset(b.oid for b in git.tree_files(root, "HEAD")
                     if (shown := files.display_path(b.path)) in scanned and shown not in edited)


def add(config: Config, options: run.RunOptions, collected: run.Collected, *,
        base: str | None) -> Added:
    """Scan the change's history and fold what is new into the history scanners' results."""
    names = [r.name for r in collected.results
             if r.status is not Status.SKIPPED and get(r.name).history]
    root = collected.fileset.root
    if not names:
        return Added(collected.results, {}, ())
    commits = commits_in_range(root, base)
    prefix = git.show_prefix(root)
    base_tree = ({b.path: b.oid for b in git.tree_files(root, base, relative=False)}
                 if base else {})
    touched = touched_blobs(root, commits,
                            frozenset(base_tree.values()) | _head_scanned(root, collected))
    excludes = GlobSet(config.exclude)
    wanted = {oid: t for oid, t in touched.items()
              if t.path.startswith(prefix) and not excludes.matches(t.path[len(prefix):])}
    # Version k of a path goes to h/k/<path>: few folders (each costs a mkdir and an rmdir),
    # and each blob keeps its own name, so filename-based filters still apply.
    rounds: dict[str, int] = {}
    blob_at: dict[str, str] = {}
    entries = []
    for oid, t in wanted.items():
        rel = t.path[len(prefix):]
        rounds[rel] = rounds.get(rel, 0) + 1
        entries.append((f"{_HEAD}/{rounds[rel]}/{rel}", oid))
        blob_at[files.display_path(entries[-1][0])] = oid
    if not entries:
        return Added(collected.results, {}, ())
    scanned = _scan(config, options, names, root, entries)
    found_in = {blob_at[f.location.path] for f in scanned.findings}
    # Old, not new: a secret the base version of a path with findings already held.
    olds = sorted({(p, base_tree[p]) for o in found_in
                   if (p := wanted[o].path) in base_tree and p.startswith(prefix)})
    at_base = (_scan(config, options, names, root, [(f"{_BASE}/{p[len(prefix):]}", o)
                                                    for p, o in olds])
               if olds else None)
    errors = {r.name: r.message or "error" for c in (scanned, at_base) if c is not None
              for r in c.results if r.status is Status.ERROR}
    seen = {(f.scanner, f.rule, f.evidence) for f in collected.findings if f.scanner in names}
    seen |= {(f.scanner, f.rule, f.evidence) for f in (at_base.findings if at_base else ())}
    found: dict[str, list[Finding]] = {}
    added_in: dict[tuple[str, str, str], str] = {}
    order = {c.sha: i for i, c in enumerate(commits)}
    history = sorted(((order[wanted[oid].commit.sha], f.location.line or 0, oid, f)
                      for f in scanned.findings
                      for oid in [blob_at[f.location.path]]), key=lambda h: h[:3])
    for _, _, oid, finding in history:
        key = (finding.scanner, finding.rule, finding.evidence)
        if key in seen:
            continue
        seen.add(key)
        touch = wanted[oid]
        shown = Touch(touch.commit, files.display_path(touch.path[len(prefix):]))
        found.setdefault(finding.scanner, []).append(
            _history_finding(finding, shown, finding.location.line))
        added_in[key] = touch.commit.sha
    new: dict[str, NewInfo] = {}
    results = []
    for result in collected.results:
        extra = assign_fingerprints(found.get(result.name, ()))
        for f in extra:
            sha = added_in[(f.scanner, f.rule, f.evidence)]
            new[f.fingerprint] = NewInfo(True, f"added by commit {sha[:12]} of the change, "
                                         "not in the head or the base")
        note = (f"history: {len(wanted)} blob(s) of {len(commits)} commit(s) not in the head "
                f"or the base scanned, {len(extra)} secret(s) found only there")
        updated = replace(result, findings=(*result.findings, *extra),
                          notes=(*result.notes, note)) if result.name in names else result
        if result.name in errors:
            updated = replace(updated, status=Status.ERROR,
                              message=f"history scan: {errors[result.name]}")
        results.append(updated)
    return Added(tuple(results), new, ())


def drop_repeats(results: Sequence[ScannerResult]) -> tuple[ScannerResult, ...]:
    """Merged shards: a history finding whose secret another shard found in the head is
    dropped (one finding, not two)."""
    out = []
    for result in results:
        head = {(f.rule, f.evidence) for f in result.findings if "history" not in f.tags}
        kept = tuple(f for f in result.findings
                     if "history" not in f.tags or (f.rule, f.evidence) not in head)
        out.append(replace(result, findings=kept) if len(kept) != len(result.findings)
                   else result)
    return tuple(out)
