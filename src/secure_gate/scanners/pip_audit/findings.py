"""pip-audit's answers turned into findings on manifest lines, and the notes beside them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote

from packaging.version import InvalidVersion, Version

from secure_gate.advisories.cvss import record_severity
from secure_gate.advisories.db import AdvisoryDB
from secure_gate.advisories.osv import fixed_versions
from secure_gate.manifests.model import Dependency
from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.scanners.pip_audit.runs import Audit, Pin, Vuln

NAME = "pip-audit"
_DESCRIPTION_LIMIT = 200
_TITLE_LIMIT = 100
_NOTE_LIMIT = 8
DEFAULT_BASIS = "none given, high by default"


def advisory_url(advisory_id: str) -> str:
    """The advisory's page on osv.dev (the id is untrusted: it is percent-encoded)."""
    return "https://osv.dev/vulnerability/" + quote(advisory_id, safe="-._~:")


def severity_for(vuln: Vuln, name: str, db: AdvisoryDB | None) -> tuple[Severity, str]:
    """The worst severity any record of the advisory (or an alias) gives, or ``high``.

    pip-audit's JSON carries no severity, so only the offline database can say.
    """
    best: tuple[Severity, str] | None = None
    for record in db.related([vuln.id, *vuln.aliases]) if db else ():
        found = record_severity(record, name)
        if found and (best is None or found[0] > best[0]):
            best = found
    return best or (Severity.HIGH, DEFAULT_BASIS)


def fixes_for(vuln: Vuln, name: str, db: AdvisoryDB | None) -> list[str]:
    """Fixed versions from pip-audit and, offline, from every range of the records.

    pip-audit keeps the fixes of one range per record only; the database has them all.
    """
    found: dict[Version, str] = {}
    extra = [v for r in db.related([vuln.id, *vuln.aliases]) for v in fixed_versions(r, name)
             ] if db else []
    for text in (*vuln.fix_versions, *extra):
        try:
            found.setdefault(Version(text), text)
        except InvalidVersion:
            continue
    return [found[v] for v in sorted(found)]


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def finding_for(dep: Dependency, version: Version, vuln: Vuln,
                db: AdvisoryDB | None) -> Finding:
    """One finding: this advisory, at the manifest line that pins this package."""
    name = dep.name or ""
    severity, basis = severity_for(vuln, name, db)
    fixes = fixes_for(vuln, name, db)
    upgrade = next((f for f in fixes if Version(f) > version), None)
    aliases = tuple(sorted(set(vuln.aliases) - {vuln.id}))
    known_as = f" ({', '.join(aliases)})" if aliases else ""
    fixed = f"fixed in {', '.join(fixes)}" if fixes else "no fixed version is known"
    summary = _shorten(vuln.description, _DESCRIPTION_LIMIT)
    message = (f"{name} {dep.version} is affected by {vuln.id}{known_as}; {fixed}."
               f"{' ' + summary if summary else ''} [severity: {basis}]")
    return Finding.create(
        scanner=NAME,
        rule=vuln.id,
        title=_shorten(vuln.description, _TITLE_LIMIT) or f"Known vulnerability in {name}",
        severity=severity,
        confidence=Confidence.HIGH,
        location=Location(dep.path, dep.line, dep.end_line),
        message=message,
        evidence=f"{name}\n{vuln.id}",
        help_uri=advisory_url(vuln.id),
        tags=("security", "dependency", "vulnerability"),
        aliases=aliases,
        fix=f"upgrade {name} to {upgrade} or later" if upgrade else None,
        published=published_for(vuln, db),
        fixed_in=upgrade,
    )


def published_for(vuln: Vuln, db: AdvisoryDB | None) -> str | None:
    """The earliest ``published`` date of the advisory and its aliases (offline data only:
    pip-audit's JSON carries no dates). Diff mode uses it to tell an advisory that appeared
    since the base commit."""
    if db is None:
        return None
    dates = [str(r["published"]) for r in db.related([vuln.id, *vuln.aliases])
             if r.get("published")]
    return min(dates) if dates else None


def pin_of(dep: Dependency) -> Pin | None:
    """The (name, version) an auditable dependency pins."""
    if dep.name is None or dep.version is None:
        return None
    return dep.name, Version(dep.version)


def build(dependencies: Iterable[Dependency], audit: Audit,
          db: AdvisoryDB | None) -> list[Finding]:
    """Findings for every (advisory, manifest line): a pin in three files is three findings."""
    out: list[Finding] = []
    for dep in dependencies:
        pin = pin_of(dep)
        if pin is not None:
            out.extend(finding_for(dep, pin[1], vuln, db) for vuln in audit.vulns.get(pin, []))
    return out


def grouped(title: str, items: Sequence[str]) -> list[str]:
    """A note per group, at most a few examples each, with how many more there are."""
    if not items:
        return []
    shown = "; ".join(items[:_NOTE_LIMIT])
    more = len(items) - _NOTE_LIMIT
    return [f"{title} ({len(items)}): {shown}" + (f"; and {more} more" if more > 0 else "")]
