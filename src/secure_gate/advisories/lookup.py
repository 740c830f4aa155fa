"""Which advisories affect a package version: the gate's own data, for ``fix`` to choose by.

``secure-gate fix`` picks versions (``--pin``, and raising a vulnerable pin) by the data the
gate's audit uses: the offline OSV export when pip-audit's ``advisory-db`` option names one,
otherwise what pip-audit's default service reads, the ``vulnerabilities`` of PyPI's JSON API
(``/pypi/<name>/<version>/json``). Answers are kept in the run's ``Services.answers``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from secure_gate.advisories.db import AdvisoryDB, AdvisoryDBError
from secure_gate.errors import GateError
from secure_gate.net.http import NotFound, ServiceError, shown_url
from secure_gate.net.services import PYPI_SIMPLE, Services

PYPI_JSON = "https://pypi.org/pypi/"
MAX_VULNS = 10_000


class Advisories(Protocol):
    """Advisory data for one run."""

    @property
    def label(self) -> str:
        """The source as messages name it."""

    def affecting(self, name: str, version: str) -> frozenset[str] | None:
        """The ids and aliases of every advisory affecting ``name`` at ``version``; None
        when the source does not know that version (nothing can be said of it)."""


@dataclass(slots=True)
class Offline:
    """An offline OSV export (pip-audit's ``advisory-db``)."""

    db: AdvisoryDB
    label: str

    def affecting(self, name: str, version: str) -> frozenset[str] | None:
        """The advisories the export has for this version (an empty set: none)."""
        out: set[str] = set()
        for record in self.db.query(name, version):
            out.add(str(record["id"]))
            out.update(a for a in record.get("aliases") or [] if isinstance(a, str))
        return frozenset(out)


@dataclass(slots=True)
class PypiJson:
    """PyPI's JSON API: each release's ``vulnerabilities`` (OSV data, as pip-audit reads).

    ``bases`` are asked in order: a mirror's own JSON API first (beside its ``…/simple/``),
    then PyPI's, which the gate's audit reads; the next is asked only when one does not know
    the project at all.
    """

    services: Services
    bases: tuple[str, ...] = (PYPI_JSON,)

    @property
    def label(self) -> str:
        """The service as messages name it."""
        if self.bases == (PYPI_JSON,):
            return "PyPI's JSON API (pip-audit's default service)"
        return f"the JSON API {' then '.join(shown_url(b) for b in self.bases)}"

    def affecting(self, name: str, version: str) -> frozenset[str] | None:
        """The advisories listed for this release; None when no base knows the release."""
        canonical = canonicalize_name(name)
        key = ("pypi-json", f"{self.bases}/{canonical}/{version}")
        if key not in self.services.answers:
            found: frozenset[str] | None = None
            for base in self.bases:
                known, found = self._ask(base.rstrip("/"), canonical, version)
                if known:
                    break
            self.services.answers[key] = found
        cached: frozenset[str] | None = self.services.answers[key]
        return cached

    def _ask(self, base: str, name: str, version: str) -> tuple[bool, frozenset[str] | None]:
        """(whether ``base`` knows the project, the release's advisories or None)."""
        url = f"{base}/{name}/{version}/json"
        document = self._get(url)
        if document is not None:
            return True, _vulnerabilities(document, url, self.label)
        # A mirror may serve only the project's JSON: its `vulnerabilities` are the latest
        # release's, so they say something only of that one.
        url = f"{base}/{name}/json"
        project = self._get(url)
        if project is None:
            return False, None
        info = project.get("info") if isinstance(project, dict) else None
        latest = info.get("version") if isinstance(info, dict) else None
        if _same_version(latest, version):
            return True, _vulnerabilities(project, url, self.label)
        return True, None

    def _get(self, url: str) -> Any:
        """The JSON at ``url``, None for a 404; asked once a run (a project's JSON serves
        every release asked of it)."""
        key = ("json", url)
        if key not in self.services.answers:
            self.services.used.add(self.label)
            try:
                self.services.answers[key] = self.services.http.json(
                    self.label, url, headers={"Accept": "application/json"})
            except NotFound:
                self.services.answers[key] = None
        return self.services.answers[key]


def _same_version(one: object, other: str) -> bool:
    try:
        return isinstance(one, str) and Version(one) == Version(other)
    except InvalidVersion:
        return False


def _vulnerabilities(document: Any, url: str, service: str) -> frozenset[str]:
    vulns = document.get("vulnerabilities") if isinstance(document, dict) else None
    if vulns is None and isinstance(document, dict) and isinstance(document.get("info"), dict):
        return frozenset()  # an older answer without the field: nothing reported
    if not isinstance(vulns, list) or len(vulns) > MAX_VULNS:
        raise ServiceError(service, url, "answered without a usable 'vulnerabilities' list")
    out: set[str] = set()
    for vuln in vulns:
        if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
            raise ServiceError(service, url, "answered a vulnerability without an id")
        if vuln.get("withdrawn"):
            continue
        out.add(vuln["id"])
        aliases = vuln.get("aliases")
        if isinstance(aliases, list):
            out.update(a for a in aliases if isinstance(a, str))
    return frozenset(out)


def json_apis_for(index_url: str) -> tuple[str, ...]:
    """Where the JSON API is asked: beside a Warehouse-style simple index (``…/simple/`` →
    ``…/pypi/``, a mirror's own), then PyPI's."""
    trimmed = index_url.rstrip("/")
    if trimmed.endswith("/simple") and trimmed + "/" != PYPI_SIMPLE:
        return (trimmed[: -len("simple")] + "pypi/", PYPI_JSON)
    return (PYPI_JSON,)


def for_fix(options: Mapping[str, Any], services: Services) -> tuple[Advisories, list[str]]:
    """The advisory data ``fix`` chooses by, from pip-audit's options, and notes on it.

    ``advisory-db`` (a path made absolute by the caller) is loaded once per run;
    ``GateError`` when it cannot be read (the scan would fail on it just the same).
    """
    notes: list[str] = []
    db_path = options.get("advisory-db")
    if isinstance(db_path, str) and db_path:
        key = ("advisory-db", db_path)
        if key not in services.answers:
            try:
                services.answers[key] = AdvisoryDB.load(Path(db_path))
            except AdvisoryDBError as exc:
                raise GateError(f"advisory database {exc}") from None
        db: AdvisoryDB = services.answers[key]
        return Offline(db, f"the offline advisory database {db_path}"), notes
    if options.get("osv-url"):
        notes.append("pip-audit asks the osv-url service; fix chooses versions by PyPI's JSON "
                     "API, which serves the same OSV data for PyPI packages")
    return PypiJson(services, json_apis_for(services.index_url)), notes
