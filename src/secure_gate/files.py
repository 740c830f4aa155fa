"""One walk decides which files the scanners see; every file is counted, none dropped silently."""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secure_gate import git
from secure_gate.errors import GateError
from secure_gate.globs import GlobSet
from secure_gate.model import FileStats

# Only version-control metadata is never walked; in a git repository git decides the rest.
_VCS_DIRS = frozenset({".git", ".hg", ".svn"})
# Outside git there is no list of tracked files, so skip what is never source.
_NON_SOURCE_DIRS = frozenset({"__pycache__", ".venv", "venv", ".tox", ".nox", "node_modules",
                              ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"})
_SAMPLE_LIMIT = 20
_SPELLED_ESCAPE = re.compile(r"\\(?=x[0-9a-fA-F]{2})")


class RepositoryError(git.GitError):
    """The repository could not be listed (for example git's dubious-ownership refusal)."""


@dataclass(frozen=True, slots=True)
class RepoFile:
    """A file a scanner may read: its display path, where it is, and what kind of text."""

    path: str
    abspath: Path
    size: int
    utf8: bool
    digest: str = ""  # sha256 of the content, read once in the walk (the cache keys on it)
    # Not UTF-8: a lossless UTF-8 copy (each byte read as Latin-1, every line where it was)
    # for detect-secrets, which would skip the file whole.
    text_copy: Path | None = None

    def read_text(self) -> str:
        """The file's text (a BOM dropped); ``ValueError`` saying why it cannot be checked."""
        if not self.utf8:
            raise ValueError("is not UTF-8 text, so it cannot be checked")
        try:
            return self.abspath.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot be read: {exc}") from None

    @property
    def name(self) -> str:
        """The file's base name."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        """The extension with its dot, lowercased (``''`` if none)."""
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""


@dataclass(frozen=True, slots=True)
class FileSet:
    """The walk's outcome: the files to scan, and counts of those not scanned and why."""

    root: Path
    files: tuple[RepoFile, ...]
    stats: FileStats
    in_git: bool
    tracked: frozenset[str] = field(default_factory=frozenset)
    # Every file no scanner could read (binary, over max-file-size, unreadable): display
    # path and why. Diff mode turns the new or changed ones into unscanned-file findings.
    unscanned: tuple[tuple[str, str], ...] = ()

    def by_path(self) -> dict[str, RepoFile]:
        """Index of the scannable files by display path."""
        return {f.path: f for f in self.files}


def display_path(raw: str) -> str:
    """Turn a file-system path into text that every output can carry.

    Paths that are not valid UTF-8 keep their odd bytes as ``\\xNN`` escapes instead of
    breaking the JSON or SARIF writer.
    """
    # A name that spells ``\xNN`` itself gets its backslash doubled, so that no valid name
    # can look like another name's odd byte: the display form stays one key per file.
    raw = _SPELLED_ESCAPE.sub(r"\\\\", raw)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return raw


def _in_git(root: Path) -> bool:
    """True inside a git work tree; raises when git refuses the repository."""
    try:
        return git.in_work_tree(root)
    except git.GitError as exc:
        raise RepositoryError(str(exc)) from None


def _git_files(root: Path) -> list[str] | None:
    """Tracked files under ``root`` relative to it, or None outside a git work tree."""
    if not _in_git(root):
        return None
    try:
        return git.tracked_files(root)
    except git.GitError as exc:
        raise RepositoryError(f"`git ls-files` failed in {root}: {exc}") from None


def _walk(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in _VCS_DIRS and d not in _NON_SOURCE_DIRS)
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            yield name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")


def _targets(root: Path, only: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """Split PATH arguments into repo-relative files and folders (None: the whole root)."""
    wanted_files: list[str] = []
    wanted_dirs: list[str] = []
    for raw in only:
        full = Path(os.path.normpath(os.path.join(os.getcwd(), raw)))
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            try:  # the root itself may have been reached through a symlinked folder
                rel = (full.parent.resolve() / full.name).relative_to(root).as_posix()
            except ValueError:
                raise GateError(f"path {raw!r} is outside the repository {root}") from None
        if rel == ".":
            return None
        if os.path.isdir(full) and not os.path.islink(full):
            wanted_dirs.append(rel + "/")
        elif os.path.lexists(full):
            wanted_files.append(rel)
        else:
            raise GateError(f"path {raw!r} does not exist")
    return list(dict.fromkeys(wanted_files)), wanted_dirs


def collect(
    root: Path,
    *,
    only: Sequence[str] = (),
    exclude: Iterable[str] = (),
    max_file_size: int = 5 * 1024 * 1024,
    listing: Sequence[str] | None = None,
    listing_is_git: bool = True,
) -> FileSet:
    """Walk the repository at ``root`` once and classify every file.

    In a git work tree the files are what ``git ls-files -z`` lists (so names with
    newlines or quotes survive); otherwise the file system, without following links.
    ``listing`` replaces both with an explicit list (diff mode's copy of the base commit);
    ``listing_is_git`` False says it is a whole copy outside git (``fix``'s), which scanners
    then read as a plain folder with every file of the repository in it.
    """
    root = root.resolve()
    targets = _targets(root, only) if only else None
    if targets is not None and not targets[1] and listing is None:
        # Only files named (a pre-commit hook's staged files): nothing proportional to the
        # repository's size happens, not even listing it.
        tracked: list[str] | None = targets[0]
        in_git = _in_git(root)
        candidates = targets[0]
    else:
        tracked = list(listing) if listing is not None else _git_files(root)
        in_git = tracked is not None and (listing is None or listing_is_git)
        candidates = tracked if tracked is not None else list(_walk(root))
        if targets is not None:
            files_named, dirs = targets
            named = set(files_named)
            chosen = [c for c in candidates if c in named or c.startswith(tuple(dirs))]
            known = set(chosen)
            candidates = chosen + [f for f in files_named if f not in known]
    excludes = GlobSet(exclude)
    files: list[RepoFile] = []
    counts = dict.fromkeys(("excluded", "binary", "oversized", "not_utf8", "symlinks",
                            "unreadable"), 0)
    samples: list[tuple[str, str]] = []

    unscanned: list[tuple[str, str]] = []

    def skip(kind: str, path: str) -> None:
        counts[kind] += 1
        if len(samples) < _SAMPLE_LIMIT:
            samples.append((display_path(path), kind.replace("_", "-")))
        if kind in ("binary", "oversized", "unreadable"):
            unscanned.append((display_path(path), kind))

    # Content git converts on checkout (working-tree-encoding: a UTF-16 work tree of a
    # plain-text blob) is read from the index blob: what is committed is what is scanned.
    converted = _converted(root, candidates) if in_git and listing is None else {}

    total = 0
    for rel in candidates:
        full = root / rel
        try:
            info = full.lstat()
        except OSError:
            continue  # tracked but deleted in the work tree: nothing to scan
        if stat.S_ISDIR(info.st_mode):
            continue  # a submodule's gitlink
        total += 1
        if excludes and excludes.matches(rel):
            counts["excluded"] += 1
            continue
        if stat.S_ISLNK(info.st_mode):
            skip("symlinks", rel)  # never followed: the target is scanned under its own name
            continue
        if not stat.S_ISREG(info.st_mode):
            skip("unreadable", rel)
            continue
        if info.st_size > max_file_size and rel not in converted:
            skip("oversized", rel)
            continue
        try:
            data = converted[rel] if rel in converted else full.read_bytes()
        except OSError:
            skip("unreadable", rel)
            continue
        if len(data) > max_file_size:
            skip("oversized", rel)
            continue
        try:
            data.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        head = data[:8192]
        if b"\0" in head and (not utf8 or head.count(b"\0") * 16 > len(head)):
            skip("binary", rel)  # a stray NUL in valid UTF-8 text does not make it binary
            continue
        where = _private_copy(rel, data) if rel in converted else full
        copy = None
        if not utf8:
            counts["not_utf8"] += 1
            copy = _private_copy(rel, data.decode("latin-1").encode("utf-8"), "latin-1")
        files.append(RepoFile(display_path(rel), where, len(data), utf8,
                              hashlib.sha256(data).hexdigest(), copy))

    stats = FileStats(total=total, scanned=len(files), samples=tuple(samples), **counts)
    return FileSet(root, tuple(files), stats, in_git,
                   frozenset(tracked) if tracked is not None else frozenset(),
                   tuple(unscanned))


_PRIVATE: list[Path] = []


def _private_copy(rel: str, data: bytes, kind: str = "blob") -> Path:
    """A copy of ``data`` the scanners read instead of the work tree's file (removed at exit)."""
    if not _PRIVATE:
        folder = Path(tempfile.mkdtemp(prefix="secure-gate-text-"))
        atexit.register(shutil.rmtree, folder, True)
        _PRIVATE.append(folder)
    # Under the file's own name: detectors choose their rules by its extension.
    name = rel.rsplit("/", 1)[-1]
    target = _PRIVATE[0] / kind / hashlib.sha256(os.fsencode(rel)).hexdigest()[:32] / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _converted(root: Path, candidates: Sequence[str]) -> dict[str, bytes]:
    """The index blobs of the files whose ``working-tree-encoding`` attribute is set."""
    if not candidates:
        return {}
    listing = "".join(f"{c}\0" for c in candidates)
    out = git.output(root, "check-attr", "-z", "--stdin", "working-tree-encoding",
                     stdin=os.fsencode(listing))
    parts = out.split(b"\0")
    chosen = [git.decode_path(parts[i]) for i in range(0, len(parts) - 2, 3)
              if parts[i + 2] not in (b"unspecified", b"unset", b"")]
    blobs = git.index_files(root, chosen)
    return {b.path: data for b, data in zip(blobs, git.read_blobs(root, [b.oid for b in blobs]),
                                             strict=True)}
