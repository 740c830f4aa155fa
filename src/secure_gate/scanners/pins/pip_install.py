"""`pip install`/`wheel`/`download` command lines: the packages named and whether pinned."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace

from secure_gate.manifests.requirements import exact_version, parse_line
from secure_gate.model import Confidence
from secure_gate.scanners.pins.expand import Scope, has_reference
from secure_gate.scanners.pins.shell import Word, commands

_PIP = re.compile(r"pip(?:\d+(?:\.\d+)*)?(?:\.exe)?", re.IGNORECASE)
_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?[dmtw]?(?:\.exe)?|py", re.IGNORECASE)
_WRAPPERS = frozenset({"sudo", "env", "command", "exec", "nohup", "nice", "time"})
_WRAPPER_VALUES = frozenset({"-u", "-g", "-p", "-C", "-D", "-r", "-t", "-U", "-h", "-n"})
_PYTHON_VALUES = frozenset({"-X", "-W", "-Q"})
_GLOBAL_VALUES = frozenset({"--log", "--proxy", "--retries", "--timeout", "--exists-action",
                            "--trusted-host", "--cert", "--client-cert", "--cache-dir",
                            "--use-feature", "--use-deprecated", "--keyring-provider",
                            "--python", "--resume-retries", "--directory", "--project",
                            "--config-file", "--color"})
_REQUIREMENT_FILES = frozenset({"-r", "--requirement", "--requirements", "-c", "--constraint",
                                "--constraints", "--override", "--overrides"})
_EDITABLE = frozenset({"-e", "--editable"})
_INSTALL_VALUES = frozenset({
    *_GLOBAL_VALUES, *_REQUIREMENT_FILES, *_EDITABLE, "-t", "--target", "--platform",
    "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src",
    "--upgrade-strategy", "-C", "--config-settings", "--config-setting", "--global-option",
    "--install-option", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
    "--no-binary", "--only-binary", "--progress-bar", "--root-user-action", "--report",
    "--group", "-p", "--index", "--default-index", "--index-strategy", "--resolution",
    "--prerelease", "--exclude-newer", "--extra", "--python-platform", "--link-mode",
    "-b", "--build-constraints", "-P", "--upgrade-package", "--reinstall-package",
    "--no-build-package", "--no-binary-package", "--only-binary-package", "--torch-backend",
    "-w", "--wheel-dir", "-d", "--dest", "--destination-dir", "--save-download"})
# pip's commands that fetch what they name from an index: the pin matters as much for a
# wheel built or a file downloaded in one stage as for what a later stage installs from it.
# The verb says what each does in messages. (uv pip has only install among these.)
_FETCHING = {"install": "installs", "wheel": "builds wheels of", "download": "downloads"}
_OUTPUT_DIR = frozenset({"-w", "--wheel-dir", "-d", "--dest", "--destination-dir"})
_ARTIFACT = re.compile(r"[^/]*[*?\[][^/]*|[^/]+\.(?:whl|tar\.gz|zip)", re.IGNORECASE)
_SHORT_WITH_VALUE = frozenset(o for o in _INSTALL_VALUES if len(o) == 2)
_COMMIT = re.compile(r"@[0-9a-fA-F]{40}(?:[#&]|$)")
_URL_HASH = re.compile(r"[#&](?:sha256|sha384|sha512)=[0-9a-fA-F]+")


@dataclass(slots=True)
class Install:
    """One install command: what it installs and the options that decide pinning."""

    command: str = "install"
    packages: list[Word] = field(default_factory=list)
    editables: list[Word] = field(default_factory=list)
    require_hashes: bool = False
    no_deps: bool = False
    no_index: bool = False
    remote_links: bool = False
    output_dir: str | None = None  # where pip wheel/download puts what it fetched


@dataclass(frozen=True, slots=True)
class Problem:
    """One package argument that is not pinned, with what to do about it."""

    word: Word
    spec: str
    message: str
    fix: str
    confidence: Confidence = Confidence.HIGH


def _basename(text: str) -> str:
    return re.split(r"[/\\]", text)[-1]


def _strip_wrappers(words: list[Word]) -> list[Word]:
    index = 0
    while index < len(words):
        text = words[index].text
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", text, re.DOTALL):
            index += 1
        elif _basename(text) in _WRAPPERS:
            index += 1
            while index < len(words) and words[index].text.startswith("-"):
                index += 2 if words[index].text in _WRAPPER_VALUES else 1
        else:
            break
    return words[index:]


def _subcommand(words: list[Word]) -> tuple[str, list[Word]] | None:
    """(pip command, the words after it) for ``pip install``/``wheel``/``download``."""
    words = _strip_wrappers(words)
    if not words:
        return None
    program = _basename(words[0].text)
    rest = words[1:]
    if _PYTHON.fullmatch(program):
        while rest and rest[0].text.startswith("-") and rest[0].text not in ("-m", "-mpip"):
            if rest[0].text.startswith("-c"):
                return None
            rest = rest[2:] if rest[0].text in _PYTHON_VALUES else rest[1:]
        if rest and rest[0].text == "-mpip":
            rest = rest[1:]
        elif len(rest) >= 2 and rest[0].text == "-m" and rest[1].text == "pip":
            rest = rest[2:]
        else:
            return None
    elif program == "uv" and rest and rest[0].text == "pip":
        rest = rest[1:]
        if not rest or rest[0].text != "install":
            return None
    elif not _PIP.fullmatch(program):
        return None
    while rest and rest[0].text.startswith("-"):
        flag = rest[0].text.split("=", 1)[0]
        rest = rest[2:] if flag in _GLOBAL_VALUES and "=" not in rest[0].text else rest[1:]
    if not rest or rest[0].text not in _FETCHING:
        return None
    return rest[0].text, rest[1:]


def parse(command: list[Word]) -> Install | None:
    """Read a command's words; None unless it is ``pip install``, ``pip wheel`` or
    ``pip download`` in one of its spellings."""
    found = _subcommand(command)
    if found is None:
        return None
    name, words = found
    install = Install(command=name)
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        text = word.text
        if text == "--":
            install.packages.extend(words[index:])
            break
        if not text.startswith("-") or text == "-":
            install.packages.append(word)
            continue
        flag, value = text, None
        if text.startswith("--") and "=" in text:
            flag, value = text.split("=", 1)
        elif not text.startswith("--") and len(text) > 2 and text[:2] in _SHORT_WITH_VALUE:
            flag, value = text[:2], text[2:]
        if flag in _INSTALL_VALUES and value is None and index < len(words):
            value = words[index].text
            if flag in _EDITABLE:
                install.editables.append(words[index])
            index += 1
        elif flag in _EDITABLE and value is not None:
            install.editables.append(Word(value, word.start + len(flag) + 1, word.dynamic))
        if flag in _OUTPUT_DIR and install.command != "install" and value:
            install.output_dir = value
        install.require_hashes |= flag == "--require-hashes"
        install.no_deps |= flag == "--no-deps"
        install.no_index |= flag == "--no-index"
        if flag in ("-f", "--find-links") and value and "://" in value \
                and not value.startswith("file:"):
            install.remote_links = True
    return install


def _folder(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")) if path else path


def _from_fetched(target: str, fetched: set[str]) -> bool:
    """``/wheels/*`` or ``/wheels/app-1.0.whl`` where an earlier ``pip wheel -w /wheels`` (or
    ``pip download -d``) of this file put them: its own packages were checked there."""
    folder, _, name = target.replace("\\", "/").rpartition("/")
    return bool(folder) and _folder(folder) in fetched and _ARTIFACT.fullmatch(name) is not None


def _check_spec(spec: str, install: Install, editable: bool,
                fetched: set[str] | None = None) -> tuple[str, str] | None:
    """(message, fix) when ``spec`` is not pinned, None when it is."""
    parsed = parse_line(spec, "<command line>", 1, 1)
    if parsed is None:
        return None
    shown = f"`pip {install.command} {'-e ' if editable else ''}{spec}`"
    verb = _FETCHING[install.command]
    no_deps = " and add `--no-deps` (install its dependencies from a hashed lock file)"
    if parsed.kind == "vcs":
        at_commit = _COMMIT.search(parsed.target or "") is not None
        if at_commit and (install.no_deps or not editable):
            return None
        if at_commit:  # Scorecard's rule for editables: the commit alone leaves the deps open
            return (f"{shown} is at a commit, but an editable install resolves its dependencies "
                    f"at install time{no_deps}", f"pip install --no-deps -e {spec}")
        return (f"{shown} follows a branch or tag that can move; pin the URL to a full commit "
                f"(`...@<40-hex commit sha>`){no_deps if editable else ''}",
                "git+https://host/owner/repo@<40-hex commit sha>")
    if parsed.kind == "url":
        if _URL_HASH.search(parsed.target or ""):
            return None
        return (f"{shown} downloads a file that can change; add its hash to the URL "
                "(`#sha256=<digest>`) or install it from a hashed requirements file",
                f"{parsed.target}#sha256=<digest>")
    if parsed.kind == "local":
        target = parsed.target or spec
        if not editable and _from_fetched(target, fetched or set()):
            return None
        if install.no_deps or (not editable and target.lower().endswith(".whl")):
            return None  # the code is in the build; a local wheel is Scorecard's exception too
        when = "at install time" if install.command == "install" else "when it runs"
        return (f"{shown} {verb} local code but resolves its dependencies {when}, "
                f"unpinned; add `--no-deps` and install them from a hashed lock file",
                f"pip {install.command} --no-deps {'-e ' if editable else ''}{target}")
    if parsed.kind == "requirement" and not editable and exact_version(parsed) is not None:
        return None
    name = parsed.name or spec
    if parsed.kind == "invalid":
        return (f"{shown} cannot be read as a requirement ({parsed.error}); pin it with "
                "`name==X.Y.Z`", f"pip {install.command} {name}==X.Y.Z")
    return (f"{shown} {verb} whatever version the index serves at build time; pin it "
            f"(`{name}==X.Y.Z`) or use a lock file with "
            f"`pip {install.command} --require-hashes -r requirements.txt`",
            f"pip {install.command} {name}==X.Y.Z")


def problems(install: Install, scope: Scope) -> list[Problem]:
    """The unpinned packages of one install, one problem per argument.

    ``--require-hashes`` (pip then refuses anything unpinned or unhashed) and a ``--no-index``
    install from local files only satisfy the whole command.
    """
    if install.output_dir and not has_reference(install.output_dir) and not install.no_deps:
        # With its dependencies (no --no-deps) the folder holds everything a later install
        # of its files needs; with --no-deps that install would resolve them from the index.
        scope.fetched.add(_folder(install.output_dir))
    if install.require_hashes or (install.no_index and not install.remote_links):
        return []
    out: list[Problem] = []
    for editable, words in ((False, install.packages), (True, install.editables)):
        for word in words:
            if not word.dynamic:
                specs = [word.text]
            else:
                values = scope.expand(word.text)
                if values is None:
                    out.append(Problem(word, word.text, (
                        f"`pip {install.command} {word.text}`: what this fetches is only known "
                        "when it runs; name pinned packages (`name==X.Y.Z`) or a hashed lock "
                        f"file instead"), f"pip {install.command} --require-hashes -r "
                        "requirements.txt", Confidence.LOW))
                    continue
                # An unquoted variable splits into several arguments when the shell runs it.
                specs = [p for v in values for p in v.text.split() if not p.startswith("-")]
            bad = [(spec, found) for spec in dict.fromkeys(specs)
                   if (found := _check_spec(spec, install, editable, scope.fetched)) is not None]
            if bad:
                message, fix = bad[0][1]
                if word.dynamic:
                    values_shown = ", ".join(f"`{spec}`" for spec, _ in bad[:5])
                    message = f"{message} (`{word.text}` can be {values_shown})"
                out.append(Problem(word, word.text, message, fix))
    return out


_SHELLS = re.compile(r"(?:ba|da|z|k|a)?sh(?:\.exe)?")


def scan(script: str, scope: Scope, _depth: int = 0) -> list[Problem]:
    """Every unpinned package that ``pip install`` commands in a shell script name.

    ``sh -c '...'`` is followed one level at a time; words of the inner script keep
    offsets into ``script`` so that callers can map them to lines.
    """
    out: list[Problem] = []
    for command in commands(script):
        words = _strip_wrappers(command)
        if words and _SHELLS.fullmatch(_basename(words[0].text)):
            inner = next((words[i + 1] for i in range(1, len(words) - 1)
                          if re.fullmatch(r"-[a-z]*c[a-z]*", words[i].text)), None)
            if inner is not None and _depth < 3:
                for problem in scan(inner.text, scope, _depth + 1):
                    moved = Word(problem.word.text, inner.start + problem.word.start,
                                 problem.word.dynamic)
                    out.append(replace(problem, word=moved))
            continue
        install = parse(command)
        if install is not None:
            out.extend(problems(install, scope))
    return out
