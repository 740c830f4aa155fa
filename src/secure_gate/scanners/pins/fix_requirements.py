"""Fixes for pins findings in requirements files: hashes added, ranges pinned (``--pin``).

unhashed-requirement (one finding per file) gets a ``--hash=sha256:`` for every
distribution file of each pinned release, on every pinned line without hashes (pip refuses
a file where only some requirements are hashed). unpinned-requirement is pinned only with
``--pin``: to the highest version the range allows, not yanked, with no known advisory,
hashes included. What pip cannot hash (editable, local path, VCS, ``pip install`` in a
script) and lock files are left as they are, each with what to do instead.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

import secure_gate.scanners.pins.rules as rules
from secure_gate.advisories import lookup
from secure_gate.edits import Edit, FixOutcome, Unfixed, lines_of
from secure_gate.manifests import envvars, reqedit
from secure_gate.manifests.requirements import RequirementLine, exact_version, parse_requirements
from secure_gate.model import Finding
from secure_gate.net import index
from secure_gate.scanners.base import FixJob

MAX_CANDIDATES = 25  # versions asked about before --pin gives up on a range
_AUDITOR = "pip-audit"  # whose advisory data --pin chooses by
_WHY_NOT = {
    "editable": "an editable install: pip cannot check a hash for it (hash-checking mode "
                "refuses -e); install the project with `pip install --no-deps .` beside a "
                "hashed lock file",
    "local": "a local path: pip cannot check a hash for a folder; build a wheel and pin "
             "that, or install it with `--no-deps` beside a hashed lock file",
    "vcs": "installed from version control: pin the URL to a full commit "
           "(`@<40-hex sha>`); pip cannot hash a checkout",
    "url": "a URL: download the file and add `--hash=sha256:` from `pip hash FILE` (the "
           "fixer never fetches a URL the repository names)",
    "include": "reads requirements from a URL: commit that file to the repository and "
               "include it by path",
}


@dataclass(slots=True)
class _File:
    """One requirements file being fixed: its lines, entries and indexes."""

    path: str
    lines: list[str]
    reqs: list[RequirementLine]
    where: index.Indexes | None
    refused: str | None
    pre: bool

    def at(self, line: int | None) -> RequirementLine | None:
        return next((r for r in self.reqs if r.line == line), None)


def fix(job: FixJob, findings: Sequence[Finding]) -> FixOutcome:
    """Edits for ``findings`` of ``job`` (each finding an edit or an unfixed reason)."""
    out = FixOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.rule == rules.UNPINNED_PIP_INSTALL:
            out.unfixed.append(_unfixed(finding, _PIP_INSTALL))
        elif finding.rule == rules.MISSING_LOCKFILE:
            out.unfixed.append(_unfixed(finding, _missing_lock(finding.location.path)))
        else:
            by_path.setdefault(finding.location.path, []).append(finding)
    advisories: lookup.Advisories | None = None
    if job.pin_ranges and any(f.rule == rules.UNPINNED_REQUIREMENT
                              for group in by_path.values() for f in group):
        advisories, notes = lookup.for_fix(job.scanner_options.get(_AUDITOR, {}), job.services)
        out.notes.extend(notes)
    for path, group in sorted(by_path.items()):
        out.add(_fix_file(job, path, group, advisories))
    return out


_PIP_INSTALL = ("a `pip install` in a script is not rewritten: pin it in a requirements file "
                "with hashes (`secure-gate fix` adds them) and install that with "
                "`pip install --require-hashes -r requirements.txt`")


def _missing_lock(path: str) -> str:
    return ("a lock file is made by the project's tool, never by hand: `uv lock` (uv), "
            "`poetry lock` (Poetry), `pipenv lock` (Pipenv), `pdm lock` (PDM), or `pip-compile "
            "--generate-hashes -o requirements.txt " + posixpath.basename(path) + "`")


def _unfixed(finding: Finding, reason: str) -> Unfixed:
    return Unfixed(finding.location.path, finding.location.line, f"pins/{finding.rule}", reason)


def _load(job: FixJob, path: str) -> _File | str:
    try:
        text = job.read(path)
    except ValueError as exc:
        return str(exc)
    if not reqedit.same_numbering(text):
        return reqedit.NUMBERED_OTHERWISE
    reqs = parse_requirements(text, path)
    options = [r.text for r in reqs if r.kind == "option"]
    where: index.Indexes | None = None
    refused = None
    try:
        where = index.indexes_for(options, job.services)
        where = index.with_includers(where, reqedit.includers(job.where, job.read, path),
                                     job.services)
    except index.Refused as exc:
        refused = str(exc)
    pre = any(t.split()[:1] == ["--pre"] for t in options)
    return _File(path, lines_of(text), reqs, where, refused, pre)


def _fix_file(job: FixJob, path: str, findings: Sequence[Finding],
              advisories: lookup.Advisories | None) -> FixOutcome:
    out = FixOutcome()
    loaded = _load(job, path)
    if isinstance(loaded, str):
        out.unfixed.extend(_unfixed(f, loaded) for f in findings)
        return out
    done: set[int] = set()  # lines already edited in this round
    for finding in sorted(findings, key=lambda f: f.rule != rules.UNPINNED_REQUIREMENT):
        if finding.rule == rules.UNPINNED_REQUIREMENT:
            result = _pin(job, loaded, finding, advisories)
            if isinstance(result, Edit):
                out.edits.append(result)
                done.add(result.line)
            else:
                out.unfixed.append(_unfixed(finding, result))
        elif finding.rule == rules.UNHASHED_REQUIREMENT:
            out.add(_hash_all(job, loaded, finding, done))
        else:
            out.unfixed.append(_unfixed(finding, "no fixer of requirements knows this rule"))
    return out


def _release_hashes(job: FixJob, file: _File, req: RequirementLine, version: Version
                    ) -> tuple[list[str], list[str]] | str:
    """The hashes of one release and notes, or why they cannot be had."""
    if file.refused is not None or file.where is None:
        return file.refused or "no index"
    name = req.name or ""
    try:
        project = index.find(job.services, file.where, name, version)
    except index.Refused as exc:
        return str(exc)
    shown = index.label(file.where.primary)
    if project is None:
        return f"{name} is not on {shown}"
    files = project.release(version)
    if not files:
        return f"{name} {version} has no distribution file on {index.label(project.index)}"
    bare = [f.filename for f in files if f.sha256 is None]
    if bare:
        return (f"{index.label(project.index)} gives no sha256 for {bare[0]}: pip could not "
                "check it")
    notes = []
    if project.yanked(version):
        reason = next((f.yanked for f in files if f.yanked), "")
        notes.append(f"{file.path}:{req.line}: {name} {version} is yanked on "
                     f"{index.label(project.index)}" + (f" ({reason})" if reason else ""))
    return index.hashes_of(files), notes


def _edit(file: _File, req: RequirementLine, rule: str, head_of: str | None,
          hashes: Sequence[str], summary: str) -> Edit | str:
    physical = file.lines[req.line - 1:req.end_line]
    try:
        entry = reqedit.parse_entry(physical)
        head = head_of if head_of is not None else entry.head
        new = reqedit.render(entry, head, hashes)
    except ValueError as exc:
        return f"the line cannot be rewritten safely: {exc}"
    return Edit(file.path, req.line, req.end_line, tuple(physical), new, rule, summary)


def _hash_all(job: FixJob, file: _File, finding: Finding, done: set[int]) -> FixOutcome:
    """Hashes on every pinned line of the file that has none (the finding is the file's)."""
    out = FixOutcome()
    rule = f"pins/{rules.UNHASHED_REQUIREMENT}"
    for req in file.reqs:
        version = exact_version(req)
        if version is None or req.hashes or req.line in done:
            continue
        if req.variables or req.name is None:
            out.unfixed.append(Unfixed(file.path, req.line, rule, f"its version comes from "
                                       f"{envvars.listed(req.variables)} at install time, so "
                                       "no hash can be chosen for it"))
            continue
        try:
            parsed = Version(version)
        except InvalidVersion:
            out.unfixed.append(Unfixed(file.path, req.line, rule, f"{version!r} is not a PEP "
                                       "440 version: the index cannot be asked for it"))
            continue
        found = _release_hashes(job, file, req, parsed)
        if isinstance(found, str):
            out.unfixed.append(Unfixed(file.path, req.line, rule, found))
            continue
        hashes, notes = found
        out.notes.extend(notes)
        made = _edit(file, req, rule, None, hashes,
                     f"{req.name}=={version}: {len(hashes)} --hash=sha256 added")
        if isinstance(made, str):
            out.unfixed.append(Unfixed(file.path, req.line, rule, made))
        else:
            out.edits.append(made)
    for req in file.reqs:
        if req.kind == "local" and (req.target or "").lower().endswith(".whl") \
                and not req.hashes:
            out.notes.append(f"{file.path}:{req.line}: the local wheel {req.target} has no "
                             "--hash: pip's hash-checking mode needs one (`pip hash FILE`)")
    return out


def _pin(job: FixJob, file: _File, finding: Finding,
         advisories: lookup.Advisories | None) -> Edit | str:
    """The edit that pins one range, or why it cannot be pinned."""
    req = file.at(finding.location.line)
    if req is None:
        return "the line changed since the scan"
    if req.kind != "requirement":
        return _WHY_NOT.get(req.kind, f"a {req.kind} line: nothing to pin")
    if req.name is None or req.variables:
        return (f"it names {envvars.listed(req.variables)}, which pip expands at install "
                "time; name and pin the project here")
    if not job.pin_ranges or advisories is None:
        why = f"accepts a range (`{req.specifier}`)" if req.specifier else "accepts any version"
        return (f"it {why}: run `secure-gate fix --pin` to pin it to the highest version the "
                "range allows with no known advisory")
    try:
        spec = SpecifierSet(req.specifier)
    except InvalidSpecifier as exc:
        return f"its specifier cannot be read: {exc}"
    if file.refused is not None or file.where is None:
        return file.refused or "no index"
    try:
        project = index.find(job.services, file.where, req.name)
    except index.Refused as exc:
        return str(exc)
    if project is None:
        return f"{req.name} is not on {index.label(file.where.primary)}"
    chosen = _choose(project, spec, file.pre, advisories)
    if isinstance(chosen, str):
        return chosen
    found = _release_hashes(job, file, req, chosen)
    if isinstance(found, str):
        return found
    hashes, _ = found
    try:
        entry = reqedit.parse_entry(file.lines[req.line - 1:req.end_line])
        head = reqedit.pinned(entry.head, str(chosen))
    except ValueError as exc:
        return f"the line cannot be rewritten safely: {exc}"
    return _edit(file, req, f"pins/{rules.UNPINNED_REQUIREMENT}", head, hashes,
                 f"{req.name} pinned to {chosen} (the highest release "
                 f"{'`' + req.specifier + '` allows ' if req.specifier else ''}with no known "
                 f"advisory in {advisories.label}), {len(hashes)} hash(es)")


def _pre(text: str) -> bool:
    try:
        return Version(text.rstrip(".*")).is_prerelease
    except InvalidVersion:
        return False


def _choose(project: index.Project, spec: SpecifierSet, pre: bool,
            advisories: lookup.Advisories) -> Version | str:
    """The highest version ``spec`` allows that is not yanked and has no known advisory."""
    # PEP 440: prereleases only when asked for (--pre) or named by the specifier itself
    # (packaging 26 lets `contains` accept them when nothing says otherwise).
    pre = pre or any(_pre(clause.version) for clause in spec)
    allowed = [v for v in project.versions
               if spec.contains(v, prereleases=pre) and (pre or not v.is_prerelease)
               and project.release(v) and not project.yanked(v)]
    if not allowed:
        return (f"no release of {project.name} on {index.label(project.index)} that "
                f"`{spec or 'any version'}` allows is installable (none, or all yanked)")
    vulnerable: list[str] = []
    unknown: list[str] = []
    for version in sorted(allowed, reverse=True)[:MAX_CANDIDATES]:
        known = advisories.affecting(project.name, str(version))
        if known is None:
            unknown.append(str(version))
        elif known:
            vulnerable.append(f"{version} ({', '.join(sorted(known)[:3])})")
        else:
            return version
    more = " (and older ones not asked)" if len(allowed) > MAX_CANDIDATES else ""
    allows = f"`{spec}` allows" if str(spec) else "there is"
    if not vulnerable:
        return (f"{advisories.label} knows none of the releases {allows} ({', '.join(unknown[:5])}"
                f"{more}), so none can be chosen as free of advisories; pin one by hand")
    said = "; ".join(vulnerable[:5])
    if unknown:
        said += f"; not known there: {', '.join(unknown[:5])}"
    return (f"every release {allows} has a known advisory in {advisories.label}"
            f"{' or is not known there' if unknown else ''}: {said}{more}; widen the range "
            "or accept the risk")
