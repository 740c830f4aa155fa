"""Requirements files: unpinned, unhashed, editable and local lines, following -r and -c."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import secure_gate.scanners.pins.rules as rules
from secure_gate.files import RepoFile
from secure_gate.manifests import envvars
from secure_gate.manifests.requirements import (
    RequirementLine,
    exact_version,
    parse_requirements,
    resolve_include,
)
from secure_gate.model import Confidence, Finding, Severity

_COMMIT = re.compile(r"@[0-9a-fA-F]{40}(?:[#&]|$)")
_URL_HASH = re.compile(r"[#&](?:sha256|sha384|sha512)=[0-9a-fA-F]+")
_VCS = ("git+", "hg+", "svn+", "bzr+")
_PIN = "{name}==X.Y.Z --hash=sha256:<digest>"
_COMPILE = "`pip-compile --generate-hashes` or `uv pip compile --generate-hashes` writes them"


@dataclass(slots=True)
class Outcome:
    """What the requirements files said: findings, unreadable lines, and what was not followed."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0

    def problem(self, path: str, message: str, lenient: Callable[[str], bool]) -> None:
        """An error, or a note when the file at ``path`` is test data (``lenient``)."""
        if lenient(path):
            self.notes.append(f"{message} (test data, not checked: a notice, not a failure)")
        else:
            self.errors.append(message)


def compiled_input(path: str, exists: Callable[[str], bool]) -> bool:
    """True for a pip-compile input (``x.in``) whose compiled ``x.txt`` sits beside it: the
    ``.in`` lists names on purpose, and the ``.txt`` is what gets installed and checked."""
    return path.endswith(".in") and exists(path[:-3] + ".txt")


def _unpinned(req: RequirementLine, why: str, fix: str, *, severity: Severity | None = None,
              confidence: Confidence = Confidence.HIGH) -> Finding:
    return rules.finding(rules.UNPINNED_REQUIREMENT, req.path, req.line, end_line=req.end_line,
                         evidence=req.text, message=f"`{req.text}` {why}", fix=fix,
                         severity=severity, confidence=confidence)


def check_line(req: RequirementLine, constrained: set[str]) -> Finding | None:
    """The finding for one line that installs something, if it is not pinned (``constrained``:
    names a constraints file of the same install pins exactly)."""
    name = req.name or "name"
    target = req.target or ""
    if req.kind == "requirement" and req.name is None:
        return _unpinned(req, f"installs a project whose name comes from "
                         f"{envvars.listed(req.variables)} at install time, so what it installs, "
                         "and whether it is pinned, cannot be checked; name the project here: "
                         f"`{_PIN.format(name='name')}`", _PIN.format(name="name"),
                         confidence=Confidence.MEDIUM)
    if req.kind == "requirement":
        if exact_version(req) is not None or req.name in constrained:
            return None
        why = (f"accepts a range (`{req.specifier}`)" if req.specifier
               else "accepts any version")
        return _unpinned(req, f"{why}, so each install can get a different release; pin one "
                         f"version with its hashes: `{_PIN.format(name=name)}` ({_COMPILE})",
                         _PIN.format(name=name))
    if req.kind == "url":
        if req.hashes or _URL_HASH.search(target):
            return None
        return _unpinned(req, "downloads a file that can change; add its hash "
                         "(`--hash=sha256:<digest>` or `#sha256=<digest>` on the URL)",
                         f"{target} --hash=sha256:<digest>")
    if req.kind == "vcs" or (req.kind == "editable" and target.startswith(_VCS)):
        if _COMMIT.search(target):
            return None
        return _unpinned(req, "follows a branch or tag that can move; pin the URL to a full "
                         "commit (`@<40-hex commit sha>`)", "git+https://host/owner/repo@"
                         "<40-hex commit sha>#egg=" + name)
    if req.kind in ("editable", "local"):
        if req.kind == "local" and target.lower().endswith(".whl"):
            return None  # a wheel file: its content is what is installed
        what = "an editable install" if req.kind == "editable" else "a local path"
        return _unpinned(req, f"is {what}: the code comes from this checkout, but its "
                         "dependencies resolve at install time unless each is pinned here, and "
                         "pip cannot check hashes for it; prefer installing the project with "
                         "`--no-deps` next to a hashed lock file",
                         f"pip install --no-deps {target}", severity=Severity.LOW,
                         confidence=Confidence.MEDIUM)
    return None


def _unhashed(path: str, pinned: list[RequirementLine], require_hashes: bool) -> Finding | None:
    bare = [r for r in pinned if not r.hashes]
    if not bare:
        return None
    first = bare[0]
    mixed = (" pip refuses to install a file where only some requirements carry hashes."
             if len(bare) < len(pinned) else "")
    message = (f"{len(bare)} of {len(pinned)} pinned requirement(s) have no `--hash` (first: "
               f"`{first.text}`), so a re-uploaded or substituted file of the same version "
               f"would install unnoticed; add hashes ({_COMPILE}) and install with "
               f"`pip install --require-hashes -r {path.rsplit('/', 1)[-1]}`.{mixed}")
    return rules.finding(rules.UNHASHED_REQUIREMENT, path, first.line, end_line=first.end_line,
                         evidence="requirements pinned without --hash", message=message,
                         fix=f"{first.name}=={exact_version(first)} --hash=sha256:<digest>",
                         severity=Severity.MEDIUM if require_hashes else None)


def check(chosen: Sequence[RepoFile], available: Mapping[str, RepoFile],
          read: Callable[[RepoFile], str], *, require_hashes: bool,
          exists: Callable[[str], bool],
          lenient: Callable[[str], bool] = lambda path: False) -> Outcome:
    """Check ``chosen`` requirements files and every file they include.

    An include is followed when it names a file of this scan; one outside the repository,
    excluded or missing is named in the notes, and a URL include is a finding (its content
    can change at any time).
    """
    out = Outcome()
    parsed: dict[str, list[RequirementLine]] = {}
    installs: set[str] = set()  # files read as requirements, not only as constraints
    parent: dict[str, str] = {}

    def find(path: str) -> str:
        while parent.setdefault(path, path) != path:
            path = parent[path]
        return path

    queue: deque[tuple[RepoFile, bool]] = deque((f, True) for f in chosen)
    while queue:
        repo_file, as_requirements = queue.popleft()
        if as_requirements:
            installs.add(repo_file.path)
        if repo_file.path in parsed:
            continue
        try:
            parsed[repo_file.path] = lines = parse_requirements(read(repo_file), repo_file.path)
        except ValueError as exc:
            out.problem(repo_file.path, f"{repo_file.path} {exc}", lenient)
            continue
        for req in lines:
            where = f"{req.path}:{req.line}"
            target = req.target or ""
            follows = req.kind in ("include", "constraint")
            if req.variables and req.kind != "option" and not (
                    follows and envvars.names(target)):
                out.notes.append(f"{where}: `{req.text}` uses {envvars.listed(req.variables)}, "
                                 "which pip expands from the environment at install time; "
                                 "read as written, never substituted")
            if not follows:
                continue
            resolved = resolve_include(req.path, target)
            if resolved is None and "://" in target:
                out.findings.append(_unpinned(
                    req, "reads requirements from a URL whose content can change; commit the "
                    "file to the repository and pin it there", "-r <file in this repository>"))
            elif envvars.names(target):
                out.notes.append(f"{where}: `{req.text}` names its file with "
                                 f"{envvars.listed(envvars.names(target))}, which pip expands "
                                 "from the environment at install time; not followed (the gate "
                                 "never substitutes variables)")
            elif resolved is None:
                out.notes.append(f"{where}: `{req.text}` points outside the repository; "
                                 "not checked")
            elif resolved in available:
                parent[find(resolved)] = find(req.path)
                queue.append((available[resolved], req.kind == "include"))
            elif exists(resolved):
                out.notes.append(f"{where}: `{req.text}` names a file outside this scan "
                                 "(excluded or not given); not checked")
            else:
                out.notes.append(f"{where}: `{req.text}` names {resolved}, which does not "
                                 "exist; not checked")
    constrained: dict[str, set[str]] = {}
    for path, lines in parsed.items():
        if path not in installs:  # pins from a constraints file hold for its whole install
            names = {r.name for r in lines if r.name and exact_version(r) is not None}
            constrained.setdefault(find(path), set()).update(names)
    for path in sorted(installs & parsed.keys()):
        out.files += 1
        pinned: list[RequirementLine] = []
        for req in parsed[path]:
            if req.kind == "invalid":
                out.problem(path, f"{path}:{req.line}: cannot read `{req.text}`: {req.error}",
                            lenient)
                continue
            problem = check_line(req, constrained.get(find(path), set()))
            if problem is not None:
                out.findings.append(problem)
            elif exact_version(req) is not None:
                pinned.append(req)
        unhashed = _unhashed(path, pinned, require_hashes)
        if unhashed is not None:
            out.findings.append(unhashed)
    return out
