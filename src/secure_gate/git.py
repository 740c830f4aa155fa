"""Every git call the gate makes: hardened options, bytes-safe paths, one GitError."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from secure_gate import _subprocess
from secure_gate.errors import EXIT_SCANNER_ERROR, EXIT_USAGE, GateError

_MODE_FILE = (b"100644", b"100755")
ZERO_SHA = "0" * 40

# The scanned repository's own config (.git/config) is hostile: nothing it sets may run a
# program during our calls or change what git prints. Command-line `-c` wins over every config
# file, so these switch off what git would otherwise run or read on the repository's say-so.
HARDENED_OPTIONS: tuple[str, ...] = (
    "core.hooksPath=/dev/null",   # no hooks (post-checkout on worktree add, ...)
    "core.fsmonitor=false",       # a configured fsmonitor is a program git runs on status/diff
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.quotepath=off",         # names as bytes, never C-quoted (we read -z output anyway)
    "core.sshCommand=false",      # no transport ever starts
    "core.gitProxy=",
    "credential.helper=",         # an empty value resets the list of helpers
    "diff.external=",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "color.ui=never",
    "protocol.allow=never",       # no fetch, clone or submodule transport of any kind
    "safe.bareRepository=explicit",
    "log.showSignature=false",
    "submodule.recurse=false",    # worktree add never descends into submodules
)
# What a filter driver runs: git skips an empty command, and a required filter that is not
# run would be an error, so each driver the repository defines gets all four switched off.
_FILTER_KEYS = ("clean=", "smudge=", "process=", "required=false")


class GitError(GateError):
    """git could not do what the gate asked (exit 3 unless a more precise code is given)."""

    def __init__(self, message: str, exit_code: int = EXIT_SCANNER_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def decode_path(raw: bytes) -> str:
    """The one path key: git's bytes as ``os.fsdecode`` text (odd bytes survive as surrogates)."""
    return os.fsdecode(raw)


def encode_path(path: str) -> bytes:
    """The bytes git knows a path by (the inverse of :func:`decode_path`)."""
    return os.fsencode(path)


def argv(*args: str, keep: tuple[str, ...] = (), extra: Sequence[str] = ()) -> list[str]:
    """The argv of one hardened git call (``keep``: option names left as configured;
    ``extra``: more ``-c`` settings, such as :func:`filter_overrides`)."""
    out = ["git"]
    for option in (*HARDENED_OPTIONS, *extra):
        if option.partition("=")[0] not in keep:
            out += ["-c", option]
    return [*out, *args]


@functools.lru_cache(maxsize=64)
def filter_overrides(root: Path | str) -> tuple[str, ...]:
    """``-c`` settings that switch off every filter driver the repository's config defines.

    A driver (``filter.<name>.clean``/``smudge``/``process``, picked by a ``.gitattributes``
    line) is a program git runs on checkout (``worktree add``) and when it compares the work
    tree; its name is the repository's to choose, so it is read from the config first
    (``git config`` itself runs nothing). A name git's ``-c`` cannot express is refused.
    """
    try:
        done = _subprocess.run(argv("config", "-z", "--get-regexp", r"^filter\."), cwd=root,
                               timeout=60, env=_subprocess.tool_env())
    except _subprocess.ToolFailure as exc:
        raise GitError(f"git config: {exc}") from None
    names: dict[str, None] = {}
    for record in done.stdout.split(b"\0"):
        key = record.partition(b"\n")[0].decode("utf-8", "surrogateescape")
        if key.count(".") >= 2:
            names[key[len("filter."):key.rindex(".")]] = None
    out: list[str] = []
    for name in names:
        if "=" in name or "\0" in name:
            raise GitError(f"the repository's git config defines a filter driver named "
                           f"{name!r}, which cannot be switched off: refusing to run git "
                           "with it", EXIT_USAGE)
        out += [f"filter.{name}.{setting}" for setting in _FILTER_KEYS]
    return tuple(out)


def run(root: Path | str, *args: str, stdin: bytes | None = None, timeout: float = 600,
        env: Mapping[str, str] | None = None) -> _subprocess.Completed:
    """Run git in ``root`` and return what it did, whatever its exit code."""
    extra = {"GIT_OPTIONAL_LOCKS": "0", "GIT_NO_REPLACE_OBJECTS": "1", **(env or {})}
    try:
        return _subprocess.run(argv(*args, extra=filter_overrides(root)), cwd=root,
                               timeout=timeout, stdin=stdin, env=_subprocess.tool_env(extra))
    except _subprocess.ToolFailure as exc:
        raise GitError(f"git {args[0] if args else ''}: {exc}") from None


def output(root: Path | str, *args: str, stdin: bytes | None = None, timeout: float = 600,
           env: Mapping[str, str] | None = None) -> bytes:
    """git's standard output; :class:`GitError` naming the command when it fails."""
    done = run(root, *args, stdin=stdin, timeout=timeout, env=env)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} failed: {done.stderr_text(400)}")
    return done.stdout


def available() -> bool:
    """True when a git executable can be started."""
    try:
        _subprocess.run(["git", "--version"], timeout=30)
    except _subprocess.ToolFailure:
        return False
    return True


def in_work_tree(root: Path) -> bool:
    """True inside a git work tree, False outside one (or without git); raises when git
    refuses the repository (for example git's dubious-ownership check)."""
    try:
        probe = _subprocess.run(argv("rev-parse", "--is-inside-work-tree"), cwd=root,
                                timeout=60, env=_subprocess.tool_env())
    except _subprocess.ToolFailure:
        return False  # no git at all: the caller walks the file system
    if probe.returncode != 0:
        err = probe.stderr_text()
        if "not a git repository" in err:
            return False
        raise GitError(
            f"git cannot read the repository at {root}: {err or 'exit ' + str(probe.returncode)}"
            + (" (add it with `git config --global --add safe.directory <path>`)"
               if "dubious ownership" in err else ""))
    return probe.stdout.strip() == b"true"  # False inside .git or a bare repository


def tracked_files(root: Path) -> list[str]:
    """Every path in the index below ``root``, relative to it, each once."""
    raw = output(root, "ls-files", "-z", "--cached", timeout=300)
    return list(dict.fromkeys(decode_path(p) for p in raw.split(b"\0") if p))


def tracked_below(root: Path, folder: str) -> bool:
    """True when the index holds any file at or below ``folder`` (relative to ``root``)."""
    raw = output(root, "--literal-pathspecs", "ls-files", "-z", "--cached", "--", folder,
                 timeout=300)
    return bool(raw.strip(b"\0"))


def is_ignored(root: Path, folder: str) -> bool:
    """True when git's ignore rules (the repository's and the user's) exclude ``folder``."""
    done = run(root, "check-ignore", "-q", "--no-index", "--", folder.rstrip("/") + "/",
               timeout=60)
    return done.returncode == 0


def resolve_commit(root: Path, ref: str) -> str | None:
    """The full SHA of the commit ``ref`` names, or None when this clone does not have it."""
    if ref.startswith("-"):
        return None
    done = run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
               timeout=60)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def has_commit(root: Path, sha: str) -> bool:
    """True when the object ``sha`` is a commit this clone has."""
    return run(root, "cat-file", "-e", f"{sha}^{{commit}}", timeout=30).returncode == 0


def show_prefix(root: Path) -> str:
    """Where ``root`` sits inside its work tree (``''`` at the top, else ``dir/``)."""
    return output(root, "rev-parse", "--show-prefix").decode("utf-8", "surrogateescape").strip()


def hooks_dir(root: Path) -> Path:
    """The folder git runs this repository's hooks from."""
    # The one call that must see the repository's own core.hooksPath: it asks where that is.
    try:
        done = _subprocess.run(argv("rev-parse", "--git-path", "hooks", keep=("core.hooksPath",)),
                               cwd=root, timeout=30, env=_subprocess.tool_env())
    except _subprocess.ToolFailure as exc:
        raise GitError(f"git rev-parse: {exc}") from None
    if done.returncode != 0:
        raise GitError(f"not a git repository: {root}", EXIT_USAGE)
    return (root / os.fsdecode(done.stdout.strip())).resolve()


def commit_time_utc(root: Path, rev: str) -> str:
    """The committer date of ``rev`` in UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""
    return output(root, "show", "-s", "--format=%cd", "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
                  rev, env={"TZ": "UTC"}).decode().strip()


@dataclass(frozen=True, slots=True)
class Blob:
    """A regular file in a tree or the index: its path key, blob id and size."""

    path: str
    oid: str
    size: int


def tree_files(root: Path, rev: str, *, relative: bool = True) -> list[Blob]:
    """The regular files of commit ``rev`` (below ``root`` and relative to it by default).

    Symlinks and submodules are left out: the gate never follows or scans them.
    """
    prefix = encode_path(show_prefix(root)) if relative else b""
    listing = output(root, "ls-tree", "-r", "-z", "-l", "--full-tree", rev)
    out: list[Blob] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path_bytes = record.partition(b"\t")
        mode, _kind, oid, size = meta.split()
        if mode not in _MODE_FILE or not path_bytes.startswith(prefix):
            continue
        out.append(Blob(decode_path(path_bytes[len(prefix):]), oid.decode(), int(size)))
    return out


def index_files(root: Path, paths: Sequence[str]) -> list[Blob]:
    """The staged (index) blobs of ``paths`` that are regular files."""
    if not paths:
        return []
    listing = output(root, "--literal-pathspecs", "ls-files", "-s", "-z", "--",
                     *(os.fsdecode(encode_path(p)) for p in paths))
    out: list[Blob] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path_bytes = record.partition(b"\t")
        mode, oid, _stage = meta.split()
        if mode in _MODE_FILE:
            out.append(Blob(decode_path(path_bytes), oid.decode(), -1))
    return out


def read_blobs(root: Path, oids: Sequence[str]) -> Iterator[bytes]:
    """The content of each blob id, in order, from one ``git cat-file --batch``.

    ``cat-file`` applies no filters, no attributes and no textconv: these are the bytes the
    commit holds.
    """
    if not oids:
        return
    data = output(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode())
    offset = 0
    for _ in oids:
        header_end = data.index(b"\n", offset)
        header = data[offset:header_end].split()
        if len(header) < 3 or header[1] == b"missing":
            raise GitError(f"git cat-file: object {header[0].decode(errors='replace')} missing")
        length = int(header[2])
        yield data[header_end + 1 : header_end + 1 + length]
        offset = header_end + 1 + length + 1


def staged_names(root: Path) -> list[str]:
    """Paths added, copied, modified or renamed in the index, relative to ``root``."""
    names = output(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR",
                   "--relative", "--no-renames", "--no-ext-diff", "--no-textconv")
    return [decode_path(n) for n in names.split(b"\0") if n]


def diff_name_status(root: Path, base: str, head: str | None = None) -> bytes:
    """``git diff --name-status -z -M`` from ``base`` to ``head`` (the work tree if None)."""
    revs = [base] if head is None else [base, head]
    return output(root, "diff", "--name-status", "-z", "-M", "--relative", "--no-ext-diff",
                  "--no-textconv", *revs, "--")


def diff_patch(root: Path, base: str, head: str | None = None) -> bytes:
    """``git diff -U0 -M`` from ``base`` to ``head`` (the work tree if None), uncoloured."""
    revs = [base] if head is None else [base, head]
    return output(root, "diff", "-U0", "-M", "--relative", "--no-color", "--no-ext-diff",
                  "--no-textconv", *revs, "--")


def worktree_add(root: Path, into: Path, commit: str) -> None:
    """Check ``commit`` out, detached, at ``into`` (no hooks run)."""
    output(root, "worktree", "add", "--detach", "--quiet", str(into), commit)


def worktree_remove(root: Path, into: Path) -> None:
    """Remove a work tree made by :func:`worktree_add`."""
    output(root, "worktree", "remove", "--force", str(into))


def check_ignore(root: Path, path: str, timeout: float) -> list[bytes] | None:
    """``git check-ignore --no-index --verbose --non-matching`` fields for one path, or None
    when git cannot answer."""
    try:
        done = run(root, "check-ignore", "--no-index", "--verbose", "--non-matching", "-z",
                   "--stdin", stdin=encode_path(path) + b"\0", timeout=timeout)
    except GitError:
        return None
    if done.returncode not in (0, 1):
        return None
    return done.stdout.split(b"\0")


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit of a range: full SHA, parents, author date (ISO 8601) and subject."""

    sha: str
    parents: tuple[str, ...]
    author_date: str
    subject: str


def range_commits(root: Path, head: str, base: str | None) -> list[Commit]:
    """The commits reachable from ``head`` and not from ``base`` (every one when None),
    oldest first. The subject is the repository's text: escape it wherever it is shown."""
    revs = [head] if base is None else [head, f"^{base}"]
    raw = output(root, "log", "-z", "--reverse", "--topo-order", "--no-show-signature",
                 "--format=%H%x1f%P%x1f%aI%x1f%s", "--end-of-options", *revs, "--")
    out: list[Commit] = []
    for record in raw.split(b"\0"):
        if not record.strip():
            continue
        sha, parents, date, subject = record.strip(b"\n").split(b"\x1f", 3)
        out.append(Commit(sha.decode(), tuple(parents.decode().split()), date.decode(),
                          subject.decode("utf-8", "replace")))
    return out


def added_or_changed(root: Path, commit: str, parent: str | None) -> dict[str, str]:
    """``{path: blob id}`` of the regular files ``commit`` added or modified against
    ``parent`` (against the empty tree for a root commit), renames seen as additions."""
    against = [parent, commit] if parent is not None else ["--root", commit]
    raw = output(root, "diff-tree", "-r", "-z", "--no-renames", "--no-ext-diff",
                 "--no-textconv", "--diff-filter=AM", "--no-commit-id", *against, "--")
    parts = raw.split(b"\0")
    out: dict[str, str] = {}
    for i in range(0, len(parts) - 1, 2):
        meta = parts[i].lstrip(b":").split()
        if len(meta) >= 5 and meta[1] in _MODE_FILE:
            out[decode_path(parts[i + 1])] = meta[3].decode()
    return out


def shallow_commits(root: Path) -> frozenset[str]:
    """The commits whose parents this (shallow) clone does not have; empty in a full one."""
    if output(root, "rev-parse", "--is-shallow-repository").strip() != b"true":
        return frozenset()
    where = output(root, "rev-parse", "--git-path", "shallow").decode().strip()
    try:
        text = (root / where).read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset({"?"})  # shallow, but the list is unreadable: treat as incomplete
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
