"""``secure-gate fix``: scan, ask each scanner's fixer for edits, apply them, scan again.

The work happens in a private copy of the repository's files, never in the repository
itself: round after round the copy is scanned with the scanners that can fix
(``Scanner.fixes``), their fixers' edits are applied there, and the rounds stop when a
round changes nothing (one fix can make another possible: a raised pin then needs its new
hashes). Only then are the changed files compared with the originals, and written back
(each replaced whole, atomically, keeping its mode) unless the run is a dry run. So a
``--diff`` shows exactly what a real run writes, and a second run finds nothing to do.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from secure_gate import engine
from secure_gate.edits import Edit, FixOutcome, Unfixed, apply, unified_diff
from secure_gate.errors import (
    EXIT_FAILED,
    EXIT_PASSED,
    EXIT_SCANNER_ERROR,
    GateError,
    UsageError,
)
from secure_gate.files import collect
from secure_gate.model import Finding, Report, Status
from secure_gate.net.http import ServiceError
from secure_gate.net.services import Services
from secure_gate.report.escape import terminal
from secure_gate.request import ScanRequest
from secure_gate.scanners import SCANNERS, scanner_class
from secure_gate.scanners.base import FixJob, Scanner, unanswered

MAX_ROUNDS = 4
_BOM = "\ufeff"


def fixing_scanners(only: Sequence[str] | None = None) -> tuple[str, ...]:
    """The scanners whose findings ``fix`` can edit away (``only`` narrows them)."""
    able = tuple(name for name in SCANNERS if scanner_class(name).fixes)
    if not only:
        return able
    unknown = [name for name in only if name not in SCANNERS]
    if unknown:
        raise UsageError(f"--only: unknown scanner(s) {', '.join(unknown)}; "
                         f"fix knows {', '.join(able)}")
    unable = [name for name in only if name not in able]
    if unable:
        raise UsageError(f"--only: {', '.join(unable)} has no fixer; fix knows "
                         f"{', '.join(able)}")
    return tuple(name for name in able if name in only)


@dataclass(frozen=True, slots=True)
class FixRequest:
    """What one ``fix`` run is asked: the scan to fix, which scanners, and where to look."""

    scan: ScanRequest
    services: Services
    only: tuple[str, ...] | None = None
    pin_ranges: bool = False
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file as it was and as ``fix`` leaves it (text, line endings and BOM kept)."""

    path: str
    before: str
    after: str

    def diff(self) -> str:
        """The change as a unified diff."""
        return unified_diff(self.path, self.before, self.after)


@dataclass(slots=True)
class FixResult:
    """Everything a ``fix`` run did and could not do."""

    changes: list[FileChange] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    unfixed: list[Unfixed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)  # the last scan's findings
    rounds: int = 0
    written: bool = False
    asked: list[str] = field(default_factory=list)  # the services asked, by name
    # Services that could not answer (also in ``errors``): what needed them is unfixed.
    service_errors: list[str] = field(default_factory=list)

    def diff(self) -> str:
        """Every change as one unified diff (files in path order)."""
        return "".join(change.diff() for change in self.changes)


def _read(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


@dataclass(frozen=True, slots=True)
class _Copy:
    """The private copy: its folder, and each file by its display path, there and at home."""

    root: Path
    there: dict[str, Path]
    home: dict[str, Path]
    # Files git converts on checkout (working-tree-encoding): scanned as committed, never
    # written (the work tree holds another encoding), so their findings are left, said so.
    converted: set[str] = field(default_factory=set)

    def listing(self) -> tuple[str, ...]:
        """The copy's files by their names on disk (what a scan of it lists)."""
        return tuple(os.fsdecode(os.path.relpath(p, self.root)) for p in self.there.values())


@contextmanager
def _copy_of(root: Path, request: ScanRequest) -> Iterator[_Copy]:
    """A private copy of the repository's files (what the scan would list), under the same
    names (any bytes), so that a scan of the copy names every file as the repository's."""
    fileset = collect(root, only=request.paths, listing=request.listing)
    with tempfile.TemporaryDirectory(prefix="secure-gate-fix-") as scratch:
        copy = _Copy(Path(scratch), {}, {})
        for repo_file in fileset.files:
            relative = os.path.relpath(repo_file.abspath, root)
            if not _inside(root, repo_file.abspath) and "\\" not in repo_file.path:
                relative = repo_file.path  # the committed text of a converted file
                copy.converted.add(repo_file.path)
            target = copy.root / relative
            if not _inside(copy.root, target):
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(repo_file.abspath, target, follow_symlinks=False)
            except OSError:
                continue  # unreadable here: the scan of the copy does not see it
            copy.there[repo_file.path] = target
            copy.home[repo_file.path] = repo_file.abspath
        yield copy


def _findings_by_scanner(report: Report, names: Sequence[str]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {name: [] for name in names}
    for finding in report.findings:
        if finding.scanner in out and finding.suppression is None:
            out[finding.scanner].append(finding)
    return out


def _unaccounted(report: Report, names: Sequence[str], unfixed: Sequence[Unfixed]
                 ) -> list[Unfixed]:
    """The last scan's findings of a file and rule that no fixer edited away and none listed
    as not fixed: a fixer that says nothing of a finding must not make the run pass. By file
    and rule, not line: the reasons may be numbered as an earlier round read the file, and a
    file's one finding (unhashed-requirement) is answered line by line."""
    listed = {(u.path, u.rule) for u in unfixed}
    out: list[Unfixed] = []
    for name, found in _findings_by_scanner(report, names).items():
        for finding in found:
            key = (finding.location.path, f"{name}/{finding.rule}")
            if key not in listed:
                listed.add(key)
                out.append(Unfixed(key[0], finding.location.line, key[1], "still reported "
                                   "after fix, and its fixer gave no reason: fix it by hand"))
    return out


def _scan_errors(report: Report) -> list[str]:
    return [f"{result.name}: {result.message or 'could not scan'}"
            for result in report.scanners if result.status is Status.ERROR]


def run(request: FixRequest) -> FixResult:
    """Fix what the scanners of ``request`` can fix; see the module's description."""
    names = fixing_scanners(request.only)
    root = request.scan.root.resolve()
    result = FixResult()
    with _copy_of(root, request.scan) as copy:
        into = copy.root
        # With no PATH the copy holds every file the scan lists: what is absent from it is
        # absent from the repository (a missing lock file is then found, as by scan).
        scan = replace(request.scan, root=into, paths=(), listing=copy.listing(), origin=root,
                       listing_is_git=bool(request.scan.paths), scanners=names,
                       diff_base=None, shard=None, history="off", cache_dir=None)
        originals: dict[str, str] = {}
        policy = engine.load_policy(scan).config
        options = {name: scanner_class(name).resolve_paths(
            {**policy.scanner(name).options, **scan.scanner_options.get(name, {})}, root)
            for name in SCANNERS}
        report = engine.scan(scan)
        service_errors: list[str] = []
        while result.rounds < MAX_ROUNDS:
            outcome = FixOutcome()
            found = _findings_by_scanner(report, names)
            for name in names:
                # Asked even without findings: a fixer may check what is fixed already (the
                # pins fixer: that each `uses: x@<sha> # v4` comment is v4's commit).
                fixer = scanner_class(name)()
                job = FixJob(root=into, findings=tuple(found[name]),
                             options=options[name], services=request.services,
                             pin_ranges=request.pin_ranges, where=copy.there,
                             scanner_options=options)
                outcome.add(_unless_down(fixer, job))
            service_errors.extend(e for e in outcome.errors if e not in service_errors)
            result.rounds += 1
            waiting: list[str] = []  # edits refused this round (an overlap waits for the next)
            made, refused = _apply(copy, outcome.edits, originals, result, waiting)
            result.notes.extend(n for n in outcome.notes if n not in result.notes)
            # The latest round's word on what is left, numbered as that round read the
            # files (a round that edits nothing read them as they are written).
            result.unfixed = [*outcome.unfixed, *refused]
            if not made or result.rounds == MAX_ROUNDS:
                result.notes.extend(waiting)  # no round left to make them in
                break
            report = engine.scan(scan)
        unsettled = bool(made)  # the last round still edited: no scan saw its result
        if unsettled:
            report = engine.scan(scan)
        result.remaining = list(report.findings)
        result.unfixed.extend(_unaccounted(report, names, result.unfixed))
        result.service_errors = service_errors
        result.errors = [*_scan_errors(report), *service_errors]
        if unsettled:
            result.errors.append(f"the edits did not settle in {MAX_ROUNDS} rounds (the last "
                                 "one still changed something): nothing was written")
        for path in sorted(originals):
            after = _read(copy.there[path])
            if after != originals[path]:
                result.changes.append(FileChange(path, originals[path], after))
        result.asked = sorted(request.services.used)
        if not request.dry_run and result.changes and not unsettled:
            for change in result.changes:  # every file checked before any is written
                _unchanged(root, copy.home[change.path], change)
            staged: list[tuple[Path, Path, FileChange]] = []
            try:  # every new file written aside before any replaces its original
                for change in result.changes:
                    target = copy.home[change.path]
                    staged.append((target, _aside(root, target, change), change))
            except BaseException:
                for _target, aside, _change in staged:
                    aside.unlink(missing_ok=True)
                raise
            for number, (target, aside, change) in enumerate(staged):
                try:
                    os.replace(aside, target)
                except OSError as exc:
                    for _target, left, _change in staged[number:]:
                        left.unlink(missing_ok=True)
                    done = [c.path for _t, _a, c in staged[:number]]
                    raise GateError(f"{change.path}: not written: {exc} (written before it: "
                                    f"{', '.join(done) or 'none'})") from None
            result.written = True
    return result


def _unless_down(fixer: Scanner, job: FixJob) -> FixOutcome:
    """A scanner's edits; a service it needs that cannot answer leaves its findings unfixed
    (the error is kept: exit 3), and the other scanners' edits are still made."""
    try:
        return fixer.fix(job)
    except ServiceError as exc:
        return unanswered(exc, job.findings)


def _apply(copy: _Copy, edits: Sequence[Edit], originals: dict[str, str],
           result: FixResult, waiting: list[str]) -> tuple[int, list[Unfixed]]:
    """Apply one round's edits in the copy: how many were made, and those never to be made
    (a file the scan did not list, or outside the copy); edits refused this time are named
    in ``waiting`` (the next round's scan proposes them again)."""
    by_path: dict[str, list[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    made = 0
    refused: list[Unfixed] = []
    for path, file_edits in sorted(by_path.items()):
        target = copy.there.get(path)
        if target is None or not _inside(copy.root, target):
            refused.extend(Unfixed(e.path, e.line, e.rule, "not a file of this repository's "
                                   "scan (outside it, or not listed)") for e in file_edits)
            continue
        if path in copy.converted:
            refused.extend(Unfixed(e.path, e.line, e.rule, "git converts this file on checkout "
                                   "(working-tree-encoding), so fix does not rewrite it: "
                                   f"make the edit by hand ({e.summary})") for e in file_edits)
            continue
        try:
            text = _read(target)
        except (OSError, UnicodeDecodeError) as exc:
            result.errors.append(f"{path}: cannot be read as UTF-8 text: {exc}")
            continue
        originals.setdefault(path, text)
        bom = _BOM if text.startswith(_BOM) else ""
        applied = apply(text.removeprefix(_BOM), file_edits)
        for edit, why in applied.refused:
            waiting.append(f"{path}:{edit.line}: {edit.rule}: edit not made ({why}); "
                           "run fix again")
        if applied.made:
            with target.open("w", encoding="utf-8", newline="") as handle:
                handle.write(bom + applied.text)
            result.edits.extend(applied.made)
            made += len(applied.made)
    return made, refused


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return not path.is_symlink()


def _unchanged(root: Path, target: Path, change: FileChange) -> None:
    """Raise unless the repository's file is still what ``fix`` read (and a plain file)."""
    if target.is_symlink() or not _inside(root, target):
        raise GateError(f"{change.path}: not written: it is a link or outside the repository")
    try:
        now = _read(target)
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{change.path}: not written: {exc}") from None
    if now != change.before:
        raise GateError(f"{change.path}: not written: it changed while fix ran (nothing "
                        "was written)")


def _aside(root: Path, target: Path, change: FileChange) -> Path:
    """The new text of the repository's file ``target`` written beside it with its mode,
    ready to replace it whole by a rename; one that changed since it was read, or that is a
    link, is left alone (an error)."""
    _unchanged(root, target, change)
    try:
        mode = target.stat().st_mode & 0o7777
        handle, aside = tempfile.mkstemp(dir=target.parent, prefix=".secure-gate-fix-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(change.after)
            os.chmod(aside, mode)
        except BaseException:
            Path(aside).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise GateError(f"{change.path}: not written: {exc} (nothing was written)") from None
    return Path(aside)


def summary(result: FixResult, *, dry_run: bool) -> list[str]:
    """What the run changed and could not change, one escaped line each."""
    files = len(result.changes)
    done = "would change" if dry_run else "changed"
    asked = (f"; asked {terminal(', '.join(result.asked), limit=600)}" if result.asked
             else "; asked no service")
    lines = [f"secure-gate fix: {len(result.edits)} edit(s), {done} {files} file(s) in "
             f"{result.rounds} round(s){asked}"]
    for edit in result.edits:
        lines.append(f"  {terminal(edit.path)}:{edit.line}: {terminal(edit.rule)}: "
                     f"{terminal(edit.summary, limit=300)}")
    if result.unfixed:
        lines.append(f"not fixed: {len(result.unfixed)}")
        for item in result.unfixed:
            where = f"{terminal(item.path)}:{item.line}" if item.line else terminal(item.path)
            lines.append(f"  {where}: {terminal(item.rule)}: {terminal(item.reason, limit=400)}")
    for note in result.notes:
        lines.append(f"note: {terminal(note, limit=400)}")
    return lines


def error_lines(result: FixResult) -> list[str]:
    """What failed (a scan, a service), one escaped line each, for standard error."""
    return [f"secure-gate: error: {terminal(error, limit=600)}" for error in result.errors]


def exit_code(result: FixResult) -> int:
    """3 when a scan failed, 1 when something is left unfixed, else 0."""
    if result.errors:
        return EXIT_SCANNER_ERROR
    return EXIT_FAILED if result.unfixed else EXIT_PASSED
