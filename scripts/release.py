"""Cut a release: the release commit (version, changelog, tag), then the pin-update commit."""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pinned

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = "CHANGELOG.md"
DOCKERFILE = "Dockerfile"
RELEASE_RE = re.compile(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?")
IMAGE_RE = re.compile(r"(docker://ghcr\.io/secure-gate/secure-gate@)(sha256:[0-9a-f]{64}|"
                      r"sha256:<[^>\n]*>)([ \t]*#[^\n]*)?")


class Refused(Exception):
    """The script will not go on (the tree is left as it was)."""


def git(*args: str) -> str:
    return pinned.git(ROOT, *args)


def check_tree() -> str:
    """The current branch; refuses a dirty tree (untracked files too) or a detached HEAD."""
    if git("status", "--porcelain", "--untracked-files=all").strip():
        raise Refused("the work tree has uncommitted or untracked files: commit or stash them")
    branch = subprocess.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    if not branch:
        raise Refused("HEAD is detached: release from a branch")
    return branch


def set_version(version: str) -> None:
    """The version file and the image label, together."""
    path = ROOT / pinned.VERSION_FILE
    path.write_text(pinned.VERSION_RE.sub(f'__version__ = "{version}"',
                                          path.read_text(encoding="utf-8"), count=1),
                    encoding="utf-8")
    docker = ROOT / DOCKERFILE
    text, count = pinned.LABEL_RE.subn(rf"\g<1>{version}\g<3>", docker.read_text("utf-8"))
    if count != 1:
        raise Refused(f"{DOCKERFILE}: expected one org.opencontainers.image.version label")
    docker.write_text(text, encoding="utf-8")


def released_versions(text: str) -> list[str]:
    """The versions with a section in the changelog, newest first."""
    return re.findall(r"^## \[(\d[^\]]*)\]", text, re.M)


def changelog_release(text: str, version: str, date: str) -> str:
    """Unreleased's entries become the release's section; Unreleased starts empty again."""
    head = re.search(r"^## \[Unreleased\][^\n]*\n", text, re.M)
    if head is None:
        raise Refused(f"{CHANGELOG} has no '## [Unreleased]' section")
    end = re.search(r"^(## \[|\[[^\]]+\]: )", text[head.end():], re.M)
    stop = head.end() + (end.start() if end else len(text) - head.end())
    body = text[head.end():stop].strip("\n")
    if not body.strip():
        raise Refused(f"{CHANGELOG}: nothing under Unreleased to release")
    text = (text[:head.end()] + f"\n## [{version}] - {date}\n\n{body}\n\n"
            + text[stop:].lstrip("\n"))
    links = (f"[Unreleased]: {pinned.URL}/compare/v{version}...HEAD\n"
             f"[{version}]: {pinned.URL}/releases/tag/v{version}\n")
    text, count = re.subn(r"^\[Unreleased\]: [^\n]*\n", links, text, count=1, flags=re.M)
    return text if count else text.rstrip("\n") + "\n\n" + links


def next_dev(version: str) -> str:
    """The version of the commits after a release: X.Y.(Z+1).dev0, or the next pre-release's."""
    from packaging.version import Version

    parsed = Version(version)
    if parsed.pre:
        return f"{parsed.base_version}{parsed.pre[0]}{parsed.pre[1] + 1}.dev0"
    major, minor, patch = parsed.release
    return f"{major}.{minor}.{patch + 1}.dev0"


def pin(sha: str, version: str, image_digest: str | None) -> list[str]:
    """Rewrite README.md and examples/ to ``sha`` (and the image digest); the files changed."""
    changed = []
    for path in pinned.documents(ROOT):
        target = ROOT / path
        before = target.read_text(encoding="utf-8")
        after = pinned.rewrite(before, sha, version)
        if image_digest:
            after = IMAGE_RE.sub(lambda m: f"{m.group(1)}{image_digest} # v{version}", after)
        if after != before:
            target.write_text(after, encoding="utf-8")
            changed.append(path)
    return changed


def commit(message: str, paths: list[str]) -> str:
    git("add", "--", *paths)
    git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message)
    return git("rev-parse", "HEAD").strip()


def pin_to(rev: str, image_digest: str | None) -> None:
    """Only the pin-update commit, to an existing commit (an ancestor of HEAD)."""
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    if subprocess.run(["git", "merge-base", "--is-ancestor", sha, "HEAD"], cwd=ROOT,
                      check=False).returncode != 0:
        raise Refused(f"{rev} is not an ancestor of HEAD: users could not fetch it from main")
    version = pinned.version_at(ROOT, sha)
    changed = pin(sha, version, image_digest)
    if not changed:
        print(f"release: README.md and examples/ already pin {sha[:12]} (v{version})")
        return
    commit(f"Pin README and examples to v{version} ({sha[:12]})", changed)
    print(f"release: pinned {', '.join(changed)} to {sha} # v{version}")


def release(version: str, date: str) -> None:
    """The release commit and its tag, then the pin-update commit."""
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:
        raise Refused("a release needs the packaging library: run it with the .venv "
                      "(scripts/test builds it) or PYTHON=<a python that has it>") from None

    if not RELEASE_RE.fullmatch(version):
        raise Refused(f"{version!r} is not a release version (X.Y.Z, or X.Y.ZrcN)")
    current = pinned.version_at(ROOT, "HEAD")
    changelog = (ROOT / CHANGELOG).read_text(encoding="utf-8")
    for older in [current, *released_versions(changelog)[:1]]:
        try:
            if Version(version) <= Version(older):
                raise Refused(f"{version} is not above {older}: versions only increase")
        except InvalidVersion:
            raise Refused(f"{older!r} (in the tree) is not a PEP 440 version") from None
    if git("tag", "--list", f"v{version}").strip():
        raise Refused(f"tag v{version} exists already")
    (ROOT / CHANGELOG).write_text(changelog_release(changelog, version, date), "utf-8")
    set_version(version)
    sha = commit(f"Release {version}", [CHANGELOG, pinned.VERSION_FILE, DOCKERFILE])
    git("tag", "-a", f"v{version}", "-m", f"secure-gate {version}", sha)
    changed = pin(sha, version, None)
    following = next_dev(version)
    set_version(following)
    commit(f"Pin README and examples to v{version} ({sha[:12]}); {following} from here",
           [*changed, pinned.VERSION_FILE, DOCKERFILE])
    print(f"release: v{version} is {sha}\n"
          f"release: pinned {', '.join(changed) or 'nothing'}; the tree is now {following}\n"
          f"release: publish with `git push origin HEAD v{version}` (the release workflow "
          "builds, publishes and attests from the tag)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/release", description=__doc__)
    parser.add_argument("version", nargs="?", help="the release, X.Y.Z (or X.Y.ZrcN)")
    parser.add_argument("--pin-to", metavar="REV", help="only pin README.md and examples/ to "
                        "this existing commit (an ancestor of HEAD), with its version")
    parser.add_argument("--image-digest", metavar="sha256:HEX",
                        help="with --pin-to: also pin the prebuilt image references")
    parser.add_argument("--date", default=datetime.datetime.now(datetime.UTC).date()
                        .isoformat(), help="the release date in the changelog (default: today)")
    args = parser.parse_args(argv)
    if (args.version is None) == (args.pin_to is None):
        parser.error("give either VERSION or --pin-to REV")
    if args.image_digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", args.image_digest):
        parser.error("--image-digest must be sha256:<64 hex>")
    try:
        check_tree()
        if args.pin_to:
            pin_to(args.pin_to, args.image_digest)
        else:
            release(args.version, args.date)
    except (Refused, subprocess.CalledProcessError, ValueError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"release: refused: {exc} {detail}".rstrip(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
