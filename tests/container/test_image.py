"""The real image: built with podman from the Dockerfile, run the way GitHub's runner runs it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import secure_gate
from tests import secrets_corpus as fake
from tests.container.podman import IMAGE_TAG, Podman, missing_tools
from tests.github.fake_github import State, serve
from tests.github.runner import BASE_PLACEHOLDER, fake_token, parse_file_command, pr_event
from tests.github.test_main import unexpected
from tests.report.workflow_commands import Stream, read

pytestmark = pytest.mark.container

UID = GID = 1001  # the hosted runner's user
HOSTILE = "app/we::ird,na%0Ame ##[x].py"
SAMPLE = {
    "app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n",
    "app/settings.py": f'GITHUB_TOKEN = "{fake.GITHUB_TOKEN}"\n',
    HOSTILE: "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n",
    "requirements.txt": "requests==2.19.0\n",
    "README.md": "# sample\n",
    # zizmor's binary from its wheel must run in the image (the workflows scanner).
    ".github/workflows/triage.yml": "name: triage\non: issues\npermissions: {}\njobs:\n  a:\n"
                                    "    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: echo \"${{ github.event.issue.title }}\"\n",
}
UNTRACKED = {"scratch/extra.py": "import subprocess\nsubprocess.Popen(input(), shell=True)\n"}


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    return Podman.create(tmp_path_factory.mktemp("podman"))


@pytest.fixture(scope="module")
def image(podman: Podman) -> str:
    try:
        base = podman.ensure_base()
    except LookupError as exc:
        pytest.skip(str(exc))
    return podman.build(base)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@dataclass
class Step:
    """One container step's folders (owned by the runner's uid) and its results."""

    root: Path
    sha: str = ""

    @property
    def workspace(self) -> Path:
        return self.root / "workspace"

    @property
    def commands(self) -> Path:
        return self.root / "file_commands"

    def outputs(self) -> dict[str, str]:
        return parse_file_command((self.commands / "set_output_1").read_text(encoding="utf-8"))

    def summary(self) -> str:
        return (self.commands / "step_summary_1").read_text(encoding="utf-8")

    def root_owned(self) -> list[str]:
        found = []
        for folder in (self.workspace, self.commands, self.root / "home"):
            for dirpath, dirnames, filenames in os.walk(folder):
                for name in [*dirnames, *filenames]:
                    path = Path(dirpath, name)
                    if path.lstat().st_uid != UID:
                        found.append(str(path.relative_to(self.root)))
        return found


def make_step(tmp_path: Path, event: dict[str, Any]) -> Step:
    step = Step(tmp_path)
    step.workspace.mkdir()
    git(step.workspace, "init", "-q", "-b", "main")
    for name, text in SAMPLE.items():
        path = step.workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(step.workspace, "add", "-A")
    git(step.workspace, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit",
        "-q", "-m", "sample")
    step.sha = git(step.workspace, "rev-parse", "HEAD").strip()
    for name, text in UNTRACKED.items():  # present on disk, not in git: never scanned
        path = step.workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    step.commands.mkdir()
    (step.commands / "set_output_1").write_text("")
    (step.commands / "step_summary_1").write_text("")
    (tmp_path / "workflow").mkdir()
    # A PR's base is a real commit of the clone, as on GitHub (the policy is read from it).
    pull = event.get("pull_request")
    if isinstance(pull, dict) and pull.get("base", {}).get("sha") == BASE_PLACEHOLDER:
        event = {**event, "pull_request": {**pull, "base": {**pull["base"], "sha": step.sha}}}
    (tmp_path / "workflow" / "event.json").write_text(json.dumps(event))
    (tmp_path / "home").mkdir()
    for folder in (step.workspace, step.commands, tmp_path / "workflow", tmp_path / "home"):
        subprocess.run(["chown", "-R", f"{UID}:{GID}", str(folder)], check=True)
    return step


def runner_env(step: Step, token: str, event_name: str, **inputs: str) -> dict[str, str]:
    env = {
        "HOME": "/github/home", "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": "/github/file_commands/set_output_1",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary_1",
        "GITHUB_REPOSITORY": "o/r", "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": step.sha, "GITHUB_RUN_ID": "4242", "RUNNER_OS": "Linux",
        "INPUT_GITHUB-TOKEN": token, "INPUT_FAIL-ON": "high",
        "INPUT_ADVISORY-DB": "/github/runner_temp/advisories/pypa-advisory-db.zip",
        "INPUT_SARIF-FILE": "secure-gate.sarif",
        "INPUT_JSON-FILE": "secure-gate.json", "INPUT_COMMENT": "true",
    }
    env.update({f"INPUT_{k.replace('_', '-').upper()}": v for k, v in inputs.items()})
    return env


def run_step(podman: Podman, image: str, step: Step, env: dict[str, str], advisories: Path,
             *, network: str = "none") -> tuple[subprocess.CompletedProcess[str], Stream]:
    # The offline advisory database, as a workflow would download it into the runner's temp.
    done = podman.run_action(image, workspace=step.workspace, file_commands=step.commands,
                             workflow=step.root / "workflow", env=env, network=network,
                             extra=["-v", f"{step.root / 'home'}:/github/home",
                                    "-v", f"{advisories}:/github/runner_temp/advisories:ro"])
    return done, read(done.stdout)


def check_delivered(step: Step, done: subprocess.CompletedProcess[str], log: Stream,
                    token: str, schema: dict[str, Any]) -> None:
    """Everything but the comment: exit 1, annotations, summary, outputs, SARIF, ownership."""
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert log.lines[0] == f"::add-mask::{token}"
    for text in (done.stdout, done.stderr, step.summary(), *(
            p.read_text() for p in step.workspace.glob("secure-gate.*"))):
        assert token not in text.replace(f"::add-mask::{token}", "")
        assert not fake.leaked(text)
    assert unexpected(log) == [] and log.problems == [] and log.near_misses == []
    errors = {(a.get("file"), a.get("line")) for a in log.annotations() if a.name == "error"}
    assert ("app/run.py", "5") in errors
    assert ("app/settings.py", "1") in errors
    assert (HOSTILE, "5") in errors  # decoded exactly as the runner decodes it
    assert ("requirements.txt", "1") in errors  # pip-audit, from the offline advisories
    assert not any("scratch/" in str(a.get("file")) for a in log.annotations())
    outputs = step.outputs()
    report = json.loads((step.workspace / "secure-gate.json").read_text())
    assert outputs["passed"] == "false" and outputs["exit-code"] == "1"
    assert outputs["findings"] == str(len(report["findings"]))
    assert int(outputs["blocking"]) == sum(f["blocking"] for f in report["findings"]) >= 3
    assert (outputs["sarif-file"], outputs["json-file"]) == ("secure-gate.sarif",
                                                             "secure-gate.json")
    assert outputs["errors"] == "0"
    sarif = json.loads((step.workspace / "secure-gate.sarif").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for run in sarif["runs"] for r in run.get("results", [])}
    assert {"app/run.py", "app/settings.py", "requirements.txt"} <= uris
    summary = step.summary()
    assert "app/run.py" in summary and "FAILED" in summary.upper()
    # git listed the files (dubious ownership would be exit 3): the untracked one is unseen.
    assert not any(f["path"].startswith("scratch/") for f in report["findings"])
    statuses = {s["name"]: s["status"] for s in report["scanners"]}
    assert {"bandit", "pip-audit", "detect-secrets", "pins", "workflows"} <= set(statuses)
    assert set(statuses.values()) == {"ok"}, statuses  # every scanner ran, none failed
    assert {"PYSEC-2018-28", "PYSEC-2023-74"} <= {f["rule"] for f in report["findings"]}
    assert (".github/workflows/triage.yml", 8, "template-injection") in {
        (f["path"], f["line"], f["rule"]) for f in report["findings"] if f["blocking"]}
    assert step.root_owned() == []


@pytest.fixture
def sarif_schema(shared_dir: Path) -> dict[str, Any]:
    data = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
def advisories(shared_dir: Path) -> Path:
    folder = shared_dir / "advisories"
    if not (folder / "pypa-advisory-db.zip").is_file():
        pytest.skip("the shared advisory snapshot is absent")
    return folder


def test_image_runs_like_on_github(podman: Podman, image: str, tmp_path: Path,
                                   sarif_schema: dict[str, Any], advisories: Path) -> None:
    step = make_step(tmp_path, {"before": "0" * 40, "after": "1" * 40})
    token = fake_token()
    done, log = run_step(podman, image, step, runner_env(step, token, "push"), advisories)
    check_delivered(step, done, log, token, sarif_schema)
    assert not any("comment" in a.data.lower() for a in log.annotations())


@pytest.fixture
def api() -> Iterator[State]:
    yield from serve(fake_token())


def test_fork_pull_request_degrades_to_everything_but_the_comment(
        podman: Podman, image: str, tmp_path: Path, api: State,
        sarif_schema: dict[str, Any], advisories: Path) -> None:
    api.read_only = True
    step = make_step(tmp_path, pr_event(7, fork=True))
    env = runner_env(step, api.token, "pull_request")
    env.update({"GITHUB_API_URL": api.base, "GITHUB_GRAPHQL_URL": f"{api.base}/graphql",
                "NO_PROXY": "127.0.0.1"})
    # The job network here is the host's, so the container reaches the loopback API.
    done, log = run_step(podman, image, step, env, advisories, network="host")
    check_delivered(step, done, log, api.token, sarif_schema)
    assert api.calls("POST", "/repos/o/r/issues/7/comments"), "the comment was attempted"
    assert not api.comments
    notices = [a.data for a in log.annotations() if a.name == "notice"]
    assert any("fork" in m and "comment was skipped" in m for m in notices)
    assert step.outputs()["comment-url"] == ""


def test_image_label_and_version_are_the_packages(podman: Podman, image: str) -> None:
    version = secure_gate.__version__
    assert podman.label(image, "org.opencontainers.image.version") == version
    assert podman.label(image, "org.opencontainers.image.source") == (
        "https://github.com/secure-gate/secure-gate")
    done = podman.run("run", "--rm", "--network", "none", "--entrypoint",
                      "/opt/secure-gate/bin/secure-gate", image, "--version")
    assert done.stdout.strip() == f"secure-gate {version}"


def test_image_size_is_reported(podman: Podman, image: str) -> None:
    size = podman.size(image)
    base = podman.size("localhost/secure-gate-base:test")
    added = size - base
    print(f"image {IMAGE_TAG}: {size / 1e6:.1f} MB; secure-gate adds {added / 1e6:.1f} MB")
    assert 0 < added < 150e6  # the gate, its scanners and git stay small next to the base


def test_git_trusts_the_workspace_even_as_root(podman: Podman, image: str,
                                               tmp_path: Path) -> None:
    """Without the entrypoint's switch, root still may read the runner's checkout."""
    step = make_step(tmp_path, {})
    done = podman.run("run", "--rm", "--network", "none", "--entrypoint", "git",
                      "-v", f"{step.workspace}:/github/workspace", image,
                      "-C", "/github/workspace", "ls-files", check=False)
    assert done.returncode == 0, done.stderr
    assert "app/run.py" in done.stdout.splitlines()
    assert "dubious ownership" not in done.stderr
