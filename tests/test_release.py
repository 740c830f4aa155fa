"""Versions agree everywhere; every pinned reference is real; scripts/release does its job."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version
from scripts import pinned

import secure_gate
from tests.conftest import PROJECT
from tests.release_checks import BIN, check_references, check_workflow, shallow, snapshot

# One version everywhere --------------------------------------------------------------------

def test_one_version_everywhere(make_repo: Callable[..., Any],
                                run_cli: Callable[..., Any]) -> None:
    version = secure_gate.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.dev\d+)?", version), version
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "secure_gate.__version__"}
    done = subprocess.run([BIN / "secure-gate", "--version"], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == f"secure-gate {version}"
    labels = pinned.LABEL_RE.findall((PROJECT / "Dockerfile").read_text(encoding="utf-8"))
    assert [label[1] for label in labels] == [version], "scripts/release sets both"
    report = run_cli(make_repo({"a.py": "x = 1\n"}).root, "scan", "--scanners", "bandit")
    assert report.json_report["tool"] == {"name": "secure-gate", "version": version}


def test_changelog_is_keep_a_changelog_and_ahead_of_the_version() -> None:
    text = (PROJECT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n") and "keepachangelog.com/en/1.1.0" in text
    heads = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert heads[0] == ("Unreleased", ""), heads
    released = [Version(v) for v, date in heads[1:]]
    assert all(date for _, date in heads[1:]), "every release has its date"
    assert released == sorted(released, reverse=True), "newest first"
    current = Version(secure_gate.__version__)
    if released:
        assert current >= released[0]
    if not current.is_devrelease:
        assert released and released[0] == current, "a release version has its section"


# Every pinned reference in README.md and examples/ ----------------------------------------

def test_every_pinned_reference_is_a_real_release_commit() -> None:
    """A snippet that starts using a new input or hook needs a pin that has it: deliver the
    feature, then `scripts/release --pin-to <that commit on main>` (or the lead's release)."""
    if shallow(PROJECT):
        pytest.skip("a shallow clone has not the history the pins point into")
    assert check_references(PROJECT) == []


def test_the_reference_check_catches_what_is_wrong(tmp_path: Path) -> None:
    root = snapshot(tmp_path / "repo")
    readme = root / "README.md"
    sha = pinned.git(root, "rev-parse", "HEAD").strip()
    version = pinned.version_at(root, "HEAD")
    for path in pinned.documents(root):
        text = (root / path).read_text(encoding="utf-8")
        (root / path).write_text(pinned.rewrite(text, sha, version), encoding="utf-8")
    good = readme.read_text(encoding="utf-8")
    pinned.git(root, "commit", "-qam", "pin")
    assert check_references(root) == []
    for broken, expected in [
        (good.replace(f"# v{version}", "# v9.9.9", 1), "comment says v9.9.9"),
        (good.replace(sha, "f" * 40, 1), "not an ancestor"),
        (good.replace(f"@{sha} # v", "@v1 # v", 1), "not a full commit SHA"),
        (good.replace("sarif-file: secure-gate.sarif", "no-such-input: x", 1), "no-such-input"),
        (good.replace("id: secure-gate-bandit", "id: secure-gate-nope", 1), "secure-gate-nope"),
    ]:
        readme.write_text(broken, encoding="utf-8")
        pinned.git(root, "commit", "-qam", "broken")
        problems = check_references(root)
        assert any(expected in p for p in problems), (expected, problems)


# scripts/release --------------------------------------------------------------------------

def release(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run([root / "scripts" / "release", *argv], cwd=root, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def test_release_makes_the_release_commit_then_the_pin_commit(tmp_path: Path) -> None:
    root = snapshot(tmp_path / "repo")
    entry = "### Fixed\n- A change since the last release.\n"
    changelog = root / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [Unreleased]\n",
                                                       f"## [Unreleased]\n\n{entry}", 1))
    pinned.git(root, "commit", "-qam", "a change")
    start = pinned.git(root, "rev-parse", "HEAD").strip()
    current = Version(pinned.version_at(root, "HEAD"))
    new = f"{current.major}.{current.minor + 1}.0"
    done = release(root, new, "--date", "2026-12-04")
    assert done.returncode == 0, done.stdout + done.stderr
    log = pinned.git(root, "log", "--format=%H %s", f"{start}..HEAD").splitlines()
    assert len(log) == 2
    pin_commit, release_commit = (line.split(" ", 1) for line in log)
    assert release_commit[1] == f"Release {new}"
    sha = release_commit[0]
    assert pinned.git(root, "rev-parse", f"v{new}^{{commit}}").strip() == sha
    assert pinned.version_at(root, sha) == new
    head_version = pinned.version_at(root, "HEAD")
    assert head_version == f"{current.major}.{current.minor + 1}.1.dev0"
    assert f'image.version="{head_version}"' in (root / "Dockerfile").read_text()
    released = changelog.read_text()
    assert f"## [Unreleased]\n\n## [{new}] - 2026-12-04\n" in released
    assert entry in released.split(f"## [{new}]")[1]
    assert f"[{new}]: {pinned.URL}/releases/tag/v{new}" in released
    # The release commit changed only what a release changes; the pin commit only the pins.
    assert set(pinned.git(root, "show", "--name-only", "--format=", sha).split()) == {
        "CHANGELOG.md", "Dockerfile", "src/secure_gate/__init__.py"}
    refs = [r for p in pinned.documents(root)
            for r in pinned.references(p, (root / p).read_text(encoding="utf-8"))]
    assert refs and all(r.ref == sha and r.version == new for r in refs)
    assert "README.md" in {r.path for r in refs} and any(
        r.path.startswith("examples/") for r in refs)
    assert check_references(root) == []
    # The same version again, or an older one: refused, nothing changed.
    nothing_new = release(root, "99.0.0")  # Unreleased is empty again
    assert nothing_new.returncode == 2 and "nothing under Unreleased" in nothing_new.stderr
    for version in (new, str(current), "1.0", "v2.0.0", "2.0.0.dev1"):
        refused = release(root, version)
        assert refused.returncode == 2, (version, refused.stdout)
        assert "refused" in refused.stderr
    assert pinned.git(root, "rev-parse", "HEAD").strip() == pin_commit[0]


def test_release_refuses_a_dirty_tree_and_pins_only_ancestors(tmp_path: Path) -> None:
    root = snapshot(tmp_path / "repo")
    head = pinned.git(root, "rev-parse", "HEAD").strip()
    (root / "stray.txt").write_text("untracked\n")
    refused = release(root, "9.0.0")
    assert refused.returncode == 2 and "uncommitted or untracked" in refused.stderr
    (root / "stray.txt").unlink()
    (root / "README.md").write_text("edited\n")
    assert release(root, "9.0.0").returncode == 2
    pinned.git(root, "checkout", "README.md")
    pinned.git(root, "checkout", "-q", "-b", "side")
    pinned.git(root, "commit", "-q", "--allow-empty", "-m", "elsewhere")
    side = pinned.git(root, "rev-parse", "HEAD").strip()
    pinned.git(root, "checkout", "-q", "main")
    refused = release(root, "--pin-to", side)
    assert refused.returncode == 2 and "not an ancestor" in refused.stderr
    assert pinned.git(root, "rev-parse", "HEAD").strip() == head
    done = release(root, "--pin-to", head, "--image-digest", "sha256:" + "c" * 64)
    assert done.returncode == 0, done.stderr
    readme = (root / "README.md").read_text()
    version = pinned.version_at(root, head)
    assert f"docker://ghcr.io/secure-gate/secure-gate@sha256:{'c' * 64} # v{version}" in readme
    assert f"secure-gate/secure-gate@{head} # v{version}" in readme
    again = release(root, "--pin-to", head, "--image-digest", "sha256:" + "c" * 64)
    assert again.returncode == 0 and "already pin" in again.stdout


def test_pinning_needs_nothing_but_python(tmp_path: Path) -> None:
    """The release workflow pins on the runner's bare Python: no site-packages at all."""
    root = snapshot(tmp_path / "repo")
    head = pinned.git(root, "rev-parse", "HEAD").strip()
    done = subprocess.run([sys.executable, "-S", "scripts/release.py", "--pin-to", head],
                          cwd=root, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"@{head} # v" in (root / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_build_dists_is_reproducible(tmp_path: Path) -> None:
    root = snapshot(tmp_path / "repo")
    outputs = []
    for name in ("one", "two"):
        done = subprocess.run([sys.executable, "scripts/build-dists", str(tmp_path / name)],
                              cwd=root, capture_output=True, text=True, check=False, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(sorted(line.split()[0] for line in done.stdout.splitlines()))
        (root / "README.md").touch()  # the work tree's times never reach the build
        time.sleep(1.1)  # a build time stamp would now differ
    assert outputs[0] == outputs[1] and len(outputs[0]) == 2
    version = secure_gate.__version__
    sdist = tmp_path / "one" / f"secure_gate-{version}.tar.gz"
    epoch = int(pinned.git(root, "log", "-1", "--format=%ct"))
    with tarfile.open(sdist) as tar:
        members = tar.getmembers()
        names = {m.name for m in members}
    assert f"secure_gate-{version}/src/secure_gate/__init__.py" in names
    assert f"secure_gate-{version}/src/secure_gate/py.typed" in names
    assert all(m.mtime <= epoch and m.uid == 0 and m.uname == "" for m in members)
    assert (tmp_path / "one" / f"secure_gate-{version}-py3-none-any.whl").is_file()


# The release workflow ---------------------------------------------------------------------

WORKFLOW = PROJECT / ".github" / "workflows" / "release.yml"


def test_release_workflow_validates_and_zizmor_finds_nothing() -> None:
    check_workflow(WORKFLOW, "auditor")


def test_release_workflow_least_privilege_and_pinned() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on` as True
    assert data["permissions"] == {}
    jobs = data["jobs"]
    granted = {name: job["permissions"] for name, job in jobs.items()}
    assert granted == {
        "dists": {"contents": "read"},
        "attest-dists": {"id-token": "write", "attestations": "write"},
        "pypi": {"id-token": "write"},
        "image": {"contents": "read", "packages": "write", "id-token": "write",
                  "attestations": "write"},
        "pin-update": {"contents": "write", "pull-requests": "write"},
    }
    assert jobs["pypi"]["environment"]["name"] == "pypi"
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", text)
    assert {name for name, _, _ in uses} >= {
        "actions/checkout", "actions/setup-python", "pypa/gh-action-pypi-publish",
        "docker/login-action", "docker/build-push-action", "actions/attest-build-provenance"}
    for name, ref, comment in uses:
        assert pinned.SHA_RE.fullmatch(ref), name
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), (name, comment)
    steps = [step for job in jobs.values() for step in job["steps"]]
    for step in steps:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "${{" not in step.get("run", ""), "expressions reach run: only through env"
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "--require-hashes" in runs and "scripts/build-dists" in runs
    assert "scripts/release --pin-to" in runs
    attested = [s["with"] for s in steps if s.get("uses", "").startswith(
        "actions/attest-build-provenance@")]
    assert {"subject-path": "dist/*"} in attested
    assert any(a.get("push-to-registry") is True for a in attested)
