"""Per-file result cache: keyed by content, tool version and effective options; authenticated.

An entry holds one file's findings (evidence already hashed, never secret text) and its
counters for one scanner. Writes are atomic; an entry that cannot be read is ignored and
rewritten; the folder is pruned to a bounded size. Cache keys are predictable, so every entry
carries an HMAC keyed by a secret the gate creates on first use (0600) outside the scanned
tree: an entry the gate did not write (committed by a pull request, planted in the folder)
fails it and its file is scanned again. The folder itself may not be inside the scanned tree
unless git ignores it and tracks nothing in it (see :func:`check_folder`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secure_gate import __version__, git
from secure_gate.errors import UsageError
from secure_gate.files import RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity, Suppression

# v2: entries carry an HMAC (v1 entries are never read); v3: findings an inline comment
# suppresses are kept, marked (v2 entries lack them).
CACHE_VERSION = "v3"
MAX_BYTES = 256 * 1024 * 1024
_PRUNE_EVERY_S = 6 * 3600


def default_dir() -> Path:
    """``$XDG_CACHE_HOME/secure-gate``, else ``~/.cache/secure-gate``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "secure-gate"


KEY_NAME = "key"


def _inside(path: Path, root: Path) -> bool:
    path, root = path.resolve(), root.resolve()
    return path == root or root in path.parents


def check_folder(folder: Path, root: Path) -> None:
    """Refuse (exit 2) a cache folder inside the scanned tree that a commit could fill.

    Inside ``root`` the folder must be ignored by git and hold no tracked file: otherwise a
    pull request can commit entries into it (the entries would then fail authentication,
    but a cache there is a mistake worth stopping at).
    """
    if not _inside(folder, root):
        return
    shown = os.fsdecode(os.path.relpath(folder.resolve(), root.resolve()))
    where = f"cache folder {shown!r} is inside the scanned repository"
    if shown == "." or not git.in_work_tree(root):
        raise UsageError(f"{where}, which is not a git work tree that could ignore it; keep "
                         "the cache outside the repository (for example under $RUNNER_TEMP)")
    if git.tracked_below(root, shown):
        raise UsageError(f"{where} and git tracks files in it, so a commit can write cache "
                         "entries; remove them from git and keep the cache outside the "
                         "repository (for example under $RUNNER_TEMP)")
    if not git.is_ignored(root, shown):
        raise UsageError(f"{where} and not ignored by git, so a commit can add cache entries; "
                         "keep the cache outside the repository (for example under "
                         "$RUNNER_TEMP) or ignore the folder in .gitignore")


def key_file(folder: Path, root: Path) -> Path:
    """Where the cache's secret lives: beside the entries when the folder is outside the
    scanned tree (so the key travels with an ``actions/cache`` copy of it), else in the
    user's config folder, never in the repository."""
    if not _inside(folder, root):
        return folder / KEY_NAME
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "secure-gate" / "cache.key"


_KEYS: dict[Path, bytes] = {}
_KEYS_LOCK = threading.Lock()


def load_key(path: Path) -> bytes | None:
    """The secret at ``path``, created (0600, 32 random bytes) on first use.

    None when it cannot be created or is not private to this user: the cache is then not
    used at all (every file is scanned), which is slower but never wrong. Scanners ask at
    the same time: one lock in this process, and across processes the key appears whole or
    not at all (written aside, then linked into place), so no reader ever sees half a key.
    Only a usable key is remembered.
    """
    with _KEYS_LOCK:
        known = _KEYS.get(path)
        if known is None:
            known = _read_or_create_key(path)
            if known is not None:
                _KEYS[path] = known
        return known


def forget_keys() -> None:
    """Forget the keys read so far (a test that changes a key file reads it again)."""
    with _KEYS_LOCK:
        _KEYS.clear()


def _read_or_create_key(path: Path) -> bytes | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not os.path.lexists(path):
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(secrets.token_hex(32))
                with contextlib.suppress(FileExistsError):  # another process won: use theirs
                    os.link(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, encoding="ascii") as stream:
            info = os.fstat(stream.fileno())
            if info.st_uid != os.geteuid() or info.st_mode & 0o077:
                return None  # someone else could read or replace it
            key = stream.read(200).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return key.encode() if len(key) >= 32 else None


@dataclass(frozen=True, slots=True)
class Entry:
    """One file's cached result for one scanner."""

    findings: tuple[Finding, ...]
    stats: Mapping[str, int]


def _finding_to_json(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {"scanner": f.scanner, "rule": f.rule, "title": f.title,
            "severity": f.severity.label, "confidence": f.confidence.label,
            "location": [loc.path, loc.line, loc.end_line, loc.column, loc.end_column],
            "message": f.message, "evidence": f.evidence, "help_uri": f.help_uri,
            "tags": list(f.tags), "aliases": list(f.aliases), "fix": f.fix,
            "inline": f.suppression.reason if f.suppression is not None
            and f.suppression.kind == "inline" else None}


def _finding_from_json(d: Mapping[str, Any]) -> Finding:
    path, line, end_line, column, end_column = d["location"]
    return Finding(scanner=d["scanner"], rule=d["rule"], title=d["title"],
                   severity=Severity.parse(d["severity"]),
                   confidence=Confidence.parse(d["confidence"]),
                   location=Location(path, line, end_line, column, end_column),
                   message=d["message"], evidence=d["evidence"], help_uri=d["help_uri"],
                   tags=tuple(d["tags"]), aliases=tuple(d["aliases"]), fix=d["fix"],
                   suppression=Suppression("inline", d["inline"]) if d.get("inline") else None)


@functools.cache
def code_identity() -> str:
    """A digest of the gate's own code (every module of the installed package).

    The version alone is not enough: a development build, or an install from a commit,
    keeps its version while a scanner's rules or ratings change, and a cache keyed by the
    version would serve the old verdicts.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()


class ResultCache:
    """The cache for one scanner run: which code, which tool, which version, which options."""

    def __init__(self, folder: Path, scanner: str, tool_version: str | None,
                 options: Mapping[str, Any], *, key: bytes | None) -> None:
        self.folder = folder / CACHE_VERSION / scanner
        material = json.dumps([__version__, code_identity(), scanner, tool_version,
                               sorted((k, repr(v)) for k, v in options.items())])
        self._salt = hashlib.sha256(material.encode()).hexdigest()
        self._key = key
        self.hits = 0
        self.writes = 0
        self.rejected = 0  # entries present but not written by the gate (HMAC mismatch)

    @property
    def usable(self) -> bool:
        """False when there is no key: nothing is read or written."""
        return self._key is not None

    def _mac(self, path: Path, body: str) -> str:
        assert self._key is not None  # noqa: S101  # nosec B101 (checked by every caller)
        # The entry's name is bound in: a genuine entry moved to another file's slot fails.
        return hmac.new(self._key, f"{path.name}\0{body}".encode(), hashlib.sha256).hexdigest()

    def _path(self, f: RepoFile) -> Path:
        key = hashlib.sha256(f"{self._salt}\0{f.path}\0{f.digest}".encode(
            "utf-8", "surrogateescape")).hexdigest()
        return self.folder / key[:2] / f"{key}.json"

    def get(self, f: RepoFile) -> Entry | None:
        """The cached result, or None (missing, unreadable or from another run's shape)."""
        if not f.digest or self._key is None:
            return None
        path = self._path(f)
        try:
            sealed = json.loads(path.read_text(encoding="utf-8"))
            mac, body = str(sealed["mac"]), str(sealed["body"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(path, body).encode()):
            self.rejected += 1
            return None
        try:
            data = json.loads(body)
            entry = Entry(tuple(_finding_from_json(x) for x in data["findings"]),
                          {str(k): int(v) for k, v in data["stats"].items()})
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if any(x.location.path != f.path for x in entry.findings):
            return None
        self.hits += 1
        return entry

    def put(self, f: RepoFile, findings: Iterable[Finding], stats: Mapping[str, int]) -> None:
        """Store one file's result atomically (a failure to write is not an error)."""
        if not f.digest or self._key is None:
            return
        target = self._path(f)
        body = json.dumps({"findings": [_finding_to_json(x) for x in findings],
                           "stats": dict(stats)})
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}")
            tmp.write_text(json.dumps({"mac": self._mac(target, body), "body": body}),
                           encoding="utf-8")
            os.replace(tmp, target)
            self.writes += 1
        except OSError:
            return


def prune(folder: Path, max_bytes: int = MAX_BYTES, *, force: bool = False) -> int:
    """Delete the least recently written entries beyond ``max_bytes``; returns how many.

    Walking the cache costs time proportional to its size, so it runs at most every few
    hours (a marker file records the last time) unless forced.
    """
    root = folder / CACHE_VERSION
    marker = folder / ".last-prune"
    try:
        if not force and time.time() - marker.stat().st_mtime < _PRUNE_EVERY_S:
            return 0
    except OSError:
        pass
    entries = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _mtime, size, path in sorted(entries):
        if total <= max_bytes:
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        removed += 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
    return removed
