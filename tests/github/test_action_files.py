"""action.yml, the Dockerfile and the example workflows: valid, audited, in step with the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from secure_gate.github.inputs import parse_inputs
from secure_gate.github.main import _outputs

PROJECT = Path(__file__).resolve().parents[2]
ACTION = PROJECT / "action.yml"
WORKFLOWS = sorted((PROJECT / "examples" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (requirements/dev.txt has it)")
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_action_yml_validates_against_githubs_schema() -> None:
    done = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
               str(ACTION))
    assert done.returncode == 0, done.stdout + done.stderr


def test_example_workflows_validate_against_githubs_schema() -> None:
    assert len(WORKFLOWS) >= 2
    done = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
               *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_even_when_pedantic() -> None:
    done = run(tool("zizmor"), "--offline", "--persona=pedantic", "--no-progress",
               str(ACTION), *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout


def test_the_checks_do_catch_problems(tmp_path: Path) -> None:
    """The two tools above would fail on a broken action or an unpinned workflow."""
    broken = tmp_path / "action.yml"
    broken.write_text("name: x\ndescription: y\nruns:\n  using: docker\n")
    assert run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
               str(broken)).returncode != 0
    unpinned = tmp_path / "wf.yml"
    unpinned.write_text(WORKFLOWS[0].read_text().replace(
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "actions/checkout@v7"))
    assert run(tool("zizmor"), "--offline", "--persona=pedantic", "--no-progress",
               str(unpinned)).returncode != 0


def test_every_input_in_action_yml_is_read_and_nothing_else(tmp_path: Path) -> None:
    asked: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:
            asked.add(key)
            return super().get(key, default)

    declared = action()["inputs"]
    env = Recording({f"INPUT_{name.upper()}": str(spec.get("default", ""))
                     for name, spec in declared.items() if name != "github-token"})
    parse_inputs(env, tmp_path)  # every default is itself a valid value
    read = {k.removeprefix("INPUT_").lower() for k in asked}
    assert read == set(declared)


def test_every_output_in_action_yml_is_written() -> None:
    assert set(_outputs(0, {})) == set(action()["outputs"])


def test_action_runs_the_dockerfile_with_descriptions_everywhere() -> None:
    data = action()
    assert data["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert data["branding"]["icon"] and data["branding"]["color"]
    for section in ("inputs", "outputs"):
        for name, spec in data[section].items():
            assert re.fullmatch(r"[a-z][a-z0-9-]*", name), name
            assert spec["description"].strip(), name
    assert data["inputs"]["github-token"]["default"] == "${{ github.token }}"


def test_dockerfile_follows_githubs_rules_and_ours() -> None:
    text = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.split()[0] for line in text.splitlines()
                    if line.strip() and not line.startswith((" ", "#"))]
    assert "USER" not in instructions and "WORKDIR" not in instructions
    arg = re.search(r"^ARG BASE_IMAGE=python:3\.12-slim-bookworm@sha256:([0-9a-f]{64})$", text,
                    re.M)
    assert arg, "the base image must be pinned by digest"
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.M)
    entry = re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M)
    assert entry and all(part.startswith(("/", "-")) for part in yaml.safe_load(entry.group(1)))
    assert "--require-hashes" in text and "--no-build-isolation" in text
    assert "git config --system --add safe.directory /github/workspace" in text
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "--no-install-recommends" in text
    assert "rm -rf /var/lib/apt/lists/*" in text and "secure-gate --version" in text


def test_dockerignore_keeps_the_build_context_small() -> None:
    lines = (PROJECT / ".dockerignore").read_text().splitlines()
    assert "*" in lines  # deny everything, then allow what the image needs
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src/", "requirements/runtime.txt",
                       "requirements/build.txt", "entrypoint/entrypoint.py"}


def test_readme_documents_every_input_and_output() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## GitHub Action\n")
    section = readme[start:readme.index("\n## ", start + 5)]
    data = action()
    for name in [*data["inputs"], *data["outputs"]]:
        assert f"`{name}`" in section, name
    assert "permissions:" in section and "fork" in section.lower()
    assert "actions/cache" in section and "MB" in section


def test_marketplace_limits_and_timeouts() -> None:
    """The Marketplace cuts descriptions at 125 characters; a job without a timeout can hang
    for six hours."""
    description = action()["description"]
    assert isinstance(description, str) and 0 < len(description) <= 125
    for path in WORKFLOWS:
        jobs = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]
        for name, job in jobs.items():
            assert 0 < job.get("timeout-minutes", 0) <= 60, f"{path.name}: {name}"
