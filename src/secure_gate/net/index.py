"""A package index read through its simple API (PEP 691 JSON, PEP 503 HTML), every answer checked.

The index is as untrusted as the repository: an answer that is not the simple API,
names another project, or carries a file name, hash or size of the wrong shape is refused
with an error that names the index. What is kept of a project is what a pin needs: each
distribution file's name, version, ``sha256``, ``yanked`` and ``requires-python``.
"""

from __future__ import annotations

import re
import shlex
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from secure_gate.manifests.requirements import options_of
from secure_gate.net import simple_html
from secure_gate.net.http import NotFound, ServiceError, shown_url
from secure_gate.net.services import PYPI_SIMPLE, Services

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# JSON first; HTML (PEP 503) from an index that has no JSON, as pip asks.
ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!-]*")
MAX_FILENAME = 255
MAX_FILES = 200_000
MAX_SIZE = 1 << 40  # a TiB: beyond any real distribution, and the bound of a sane integer
# The archive kinds pip installs from (a legacy sdist may be any of them); .egg, .exe and
# .msi are never installed by pip, so they need no hash.
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".txz", ".tar")


@dataclass(frozen=True, slots=True)
class DistFile:
    """One distribution file of a project, as the index lists it."""

    filename: str
    version: Version
    sha256: str | None  # lower-case hex; None when the index gives no sha256
    yanked: str | None  # the reason ("" when none is given), None when not yanked
    requires_python: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class Project:
    """A project's distribution files on one index (``index`` is the base URL asked)."""

    name: str
    index: str
    files: tuple[DistFile, ...]
    versions: tuple[Version, ...]  # PEP 700 ``versions`` when given, else the files' versions

    def release(self, version: Version) -> tuple[DistFile, ...]:
        """The files of one version (compared as PEP 440 versions: ``1.0`` is ``1.0.0``)."""
        return tuple(f for f in self.files if f.version == version)

    def yanked(self, version: Version) -> bool:
        """A release is yanked when all of its files are (PEP 592)."""
        files = self.release(version)
        return bool(files) and all(f.yanked is not None for f in files)


def label(index: str) -> str:
    """The index as it is named in messages: PyPI, or its URL without credentials."""
    return "PyPI" if index == PYPI_SIMPLE else f"the package index {shown_url(index)}"


def project_url(index: str, name: str) -> str:
    """The URL of a project's page: ``<index>/<canonical name>/``."""
    canonical = canonicalize_name(name)
    if not _NAME.fullmatch(canonical):
        raise ValueError(f"{name!r} is not a valid project name")
    return index.rstrip("/") + "/" + canonical + "/"


def _version_of(filename: str, name: str) -> Version | None:
    """The version a distribution file name carries, if it is one of ``name``'s that pip
    installs (a wheel, or an sdist in one of the archive kinds)."""
    lower = filename.lower()
    if lower.endswith(".whl"):
        try:
            wheel_name, version, _, _ = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return None
        return version if wheel_name == name else None
    suffix = next((s for s in SDIST_SUFFIXES if lower.endswith(s)), None)
    if suffix is None:
        return None
    stem = filename[: -len(suffix)]
    # A legacy sdist name is `<name>-<version>` with dashes in either part: the name is
    # the prefix that normalises to the project's (pip reads it the same way).
    for index, char in enumerate(stem):
        if char == "-" and canonicalize_name(stem[:index]) == name:
            try:
                return Version(stem[index + 1:])
            except InvalidVersion:
                return None
    return None


def _file(entry: Any, name: str) -> DistFile | None:
    """One checked entry of ``files``; None for a file pip would not install."""
    if not isinstance(entry, dict):
        raise ValueError("an entry of 'files' is not an object")
    filename = entry.get("filename")
    if not isinstance(filename, str) or len(filename) > MAX_FILENAME or \
            not _FILENAME.fullmatch(filename):
        raise ValueError(f"a file name is not a plain file name: {str(filename)[:80]!r}")
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict):
        raise ValueError(f"{filename}: 'hashes' is not an object")
    sha256 = hashes.get("sha256")
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA256.fullmatch(sha256)):
        raise ValueError(f"{filename}: its sha256 is not 64 hexadecimal digits")
    yanked = entry.get("yanked", False)
    if not isinstance(yanked, bool | str):
        raise ValueError(f"{filename}: 'yanked' is neither a boolean nor a reason")
    requires = entry.get("requires-python")
    if requires is not None and not isinstance(requires, str):
        raise ValueError(f"{filename}: 'requires-python' is not a string")
    size = entry.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                             or not 0 <= size <= MAX_SIZE):
        raise ValueError(f"{filename}: 'size' is not a plausible byte count")
    version = _version_of(filename, name)
    if version is None:
        return None
    return DistFile(filename, version, sha256.lower() if sha256 else None,
                    (yanked if isinstance(yanked, str) else "") if yanked is not False
                    else None, requires, size)


def parse_project(document: Any, name: str, index: str) -> Project:
    """A PEP 691 project page read strictly; ``ValueError`` says what is wrong with it."""
    if not isinstance(document, dict):
        raise ValueError("the answer is not a JSON object")
    meta = document.get("meta")
    api = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(api, str) or api.split(".", 1)[0] != "1":
        raise ValueError(f"not the simple API version 1 (meta.api-version {str(api)[:20]!r})")
    named = document.get("name")
    if not isinstance(named, str) or canonicalize_name(named) != name:
        raise ValueError(f"it describes another project ({str(named)[:80]!r})")
    entries = document.get("files")
    if not isinstance(entries, list):
        raise ValueError("'files' is not a list")
    if len(entries) > MAX_FILES:
        raise ValueError(f"more than {MAX_FILES} files")
    files = tuple(f for e in entries if (f := _file(e, name)) is not None)
    listed = document.get("versions")
    versions: set[Version] = {f.version for f in files}
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise ValueError("'versions' is not a list of strings")
        versions = set()
        for text in listed:
            try:
                versions.add(Version(text))
            except InvalidVersion:
                continue  # a legacy version no specifier can select
    return Project(name, index, files, tuple(sorted(versions)))


def fetch_project(services: Services, index: str, name: str) -> Project | None:
    """The project ``name`` on ``index`` (None when the index does not have it).

    Answers are kept in ``services.answers``: a later round, or another file, asks nothing
    twice. :class:`ServiceError` names the index when it cannot be asked or answers badly.
    """
    canonical = canonicalize_name(name)
    url = project_url(index, canonical)
    key = ("index", url)
    if key in services.answers:
        cached: Project | None = services.answers[key]
        return cached
    service = label(index)
    services.used.add(service)
    headers, origin_bound = _credentials(index)
    try:
        answer = services.http.get(service, _without_userinfo(url),
                                   headers={"Accept": ACCEPT, **headers},
                                   token_origin=origin_bound)
    except NotFound:
        services.answers[key] = None
        return None
    kind = answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind in simple_html.HTML_KINDS:
        try:
            document = simple_html.as_json(answer.body.decode("utf-8"), canonical)
        except UnicodeDecodeError:
            raise ServiceError(service, url, "answered an HTML page that is not UTF-8") \
                from None
        except ValueError as exc:  # an href that is no URL (`http://[::1/x`)
            raise ServiceError(service, url, f"answered an HTML page that cannot be read: "
                               f"{exc}") from None
    elif kind == SIMPLE_JSON:
        document = answer.json(service)
    else:
        raise ServiceError(service, url, f"answered {kind or 'no content type'}, not the "
                           f"simple API ({SIMPLE_JSON}, PEP 691, or HTML, PEP 503)")
    try:
        found = parse_project(document, canonical, index)
    except ValueError as exc:
        raise ServiceError(service, url, f"answered a project page that cannot be used: "
                           f"{exc}") from None
    services.answers[key] = found
    return found


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _credentials(index: str) -> tuple[dict[str, str], tuple[str, str, int | None] | None]:
    """Basic credentials written into an index URL, sent as a header bound to its origin
    (urllib would otherwise put them in the request line of any redirect)."""
    import base64

    parts = urllib.parse.urlsplit(index)
    if parts.username is None:
        return {}, None
    secret = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
    token = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    bound = (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
    return {"Authorization": f"Basic {token}"}, bound


def hashes_of(files: Sequence[DistFile]) -> list[str]:
    """The sorted, distinct sha256 digests of ``files`` (all of them must have one)."""
    return sorted({f.sha256 for f in files if f.sha256})


class Refused(Exception):
    """The index cannot be asked, or its answer cannot be trusted, for this file; the
    message says why (a reason for the finding left unfixed)."""


@dataclass(frozen=True, slots=True)
class Indexes:
    """Where pip looks for a requirements file's packages: the index and any extra ones."""

    primary: str
    extras: tuple[str, ...] = ()


def _option_values(texts: Sequence[str]) -> list[tuple[str, str | None]]:
    """The index options of a file's option lines, read as pip reads them."""
    flags = {"-i": "--index-url", "--index-url": "--index-url",
             "--extra-index-url": "--extra-index-url", "--no-index": "--no-index"}
    out: list[tuple[str, str | None]] = []
    for text in texts:
        try:
            pairs = options_of(shlex.split(text, comments=True))
        except ValueError:
            continue  # the scanner reports the line it cannot read
        out.extend((flags[flag], value) for flag, value in pairs if flag in flags)
    return out


def indexes_for(option_lines: Sequence[str], services: Services) -> Indexes:
    """The indexes a requirements file's own options name (``option_lines``: its option-only
    lines as written), else the run's. :class:`Refused` for what cannot be used:
    ``--no-index``, a URL from an environment variable, a plain-http index the run was not
    told to use (what it answers could be anyone's)."""
    primary = services.index_url
    extras: list[str] = []
    for flag, value in _option_values(option_lines):
        if flag == "--no-index":
            raise Refused("the file says --no-index: pip installs only from --find-links "
                          "there; hash those files with `pip hash FILE`")
        if not value:
            continue
        if "${" in value:
            raise Refused(f"the file's {flag} comes from an environment variable, which pip "
                          "expands at install time; the gate never substitutes variables")
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(f"the file's {flag} {shown_url(value)} is not an http(s) URL")
        if parts.scheme == "http" and value.rstrip("/") != services.index_url.rstrip("/"):
            raise Refused(f"the file's {flag} {shown_url(value)} is plain http: what it "
                          "answers could be anyone's; pass it as `--index-url` to trust it")
        if flag == "--index-url":
            primary = value
        else:
            extras.append(value)
    return Indexes(primary, tuple(dict.fromkeys(e for e in extras if e != primary)))


def with_includers(where: Indexes, includers: Sequence[tuple[str, Sequence[str]]],
                   services: Services) -> Indexes:
    """``where`` with the indexes of the files that include this one (``includers``: each
    with its option lines) as extra ones: installed through them, pip asks their index, so
    it is asked too (and a project on both is the dependency-confusion case)."""
    extras = list(where.extras)
    for includer, lines in includers:
        try:
            other = indexes_for(lines, services)
        except Refused as exc:
            raise Refused(f"it is included from {includer}, where {exc}") from None
        extras += [other.primary, *other.extras]
    return Indexes(where.primary, tuple(dict.fromkeys(e for e in extras if e != where.primary)))


def find(services: Services, where: Indexes, name: str, version: Version | None = None
         ) -> Project | None:
    """The project as pip would find it through ``where``; None when no index has it.

    With extra indexes pip takes a release from whichever index offers it, so a name on two
    indexes is the dependency-confusion case: hashes from either would bless the other's
    files. Such a project is refused unless both list the same files for ``version``.
    """
    found: list[Project] = []
    for index in (where.primary, *where.extras):
        project = fetch_project(services, index, name)
        if project is not None:
            found.append(project)
    if len(found) <= 1:
        return found[0] if found else None
    if version is not None:
        sets = {tuple(sorted((f.filename, f.sha256) for f in p.release(version)))
                for p in found}
        if len(sets) == 1:
            return found[0]
    raise Refused(f"{name} is on more than one index ({', '.join(label(p.index) for p in found)})"
                  " and pip would take a file from any of them: hashes would bless each "
                  "one's files (dependency confusion); keep one index for it")
