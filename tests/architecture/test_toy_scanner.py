"""Adding a scanner is one module and one registry line: the toy appears everywhere."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from secure_gate import hooks, scanners
from secure_gate.report.annotations import render_annotations
from secure_gate.report.formats import FORMATS
from secure_gate.report.text import render_text
from tests.conftest import Repo
from tests.github.runner import Runner
from tests.github.test_main import step


@pytest.fixture
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The one registry line a new scanner adds."""
    monkeypatch.setitem(scanners.SCANNERS, "toy", "tests.architecture.toy:ToyScanner")
    scanners.scanner_class.cache_clear()
    yield
    scanners.scanner_class.cache_clear()


def toy_repo(make_repo: Callable[..., Repo]) -> Repo:
    return make_repo({"a.toy": "fine\nTOY here\n", "b.py": "x = 1\n"})


def test_the_toy_is_in_every_output_format(toy_registered: None, make_repo: Callable[..., Repo],
                                           run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = toy_repo(make_repo)
    outputs = {name: tmp_path / f"out.{name}" for name in FORMATS}
    flags = [arg for name, path in outputs.items() for arg in (FORMATS[name].flag, str(path))]
    result = run_cli(repo.root, "scan", "--scanners", "toy", "--no-cache", *flags,
                     report=False)
    assert result.code == 1
    assert "a.toy:2" in result.out and "TOY001" in result.out
    document = json.loads(outputs["json"].read_text())
    assert [(f["scanner"], f["rule"], f["line"]) for f in document["findings"]] == [
        ("toy", "TOY001", 2)]
    assert {s["name"] for s in document["scanners"]} >= {"toy", "bandit"}
    sarif = json.loads(outputs["sarif"].read_text())
    toy_run = [r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "secure-gate/toy"]
    assert toy_run and toy_run[0]["tool"]["driver"]["informationUri"] == "https://example.org/toy"
    assert toy_run[0]["results"][0]["ruleId"] == "TOY001"
    assert "TOY001" in outputs["markdown"].read_text()


def test_the_toy_is_in_the_hook_manifest_and_the_hook_report(
        toy_registered: None, make_repo: Callable[..., Repo],
        run_cli: Callable[..., Any]) -> None:
    assert "- id: secure-gate-toy\n" in hooks.render_manifest()
    assert "entry: secure-gate hook --scanners toy\n" in hooks.render_manifest()
    repo = toy_repo(make_repo)
    result = run_cli(repo.root, "hook", "--scanners", "toy", "--no-cache", "a.toy",
                     report=False)
    assert result.code == 1
    assert "a.toy:2: high TOY001" in result.out
    assert "`# no-toy` on the line (toy)" in result.out


def test_the_toy_runs_in_the_action(toy_registered: None, make_repo: Callable[..., Repo],
                                    tmp_path: Path) -> None:
    repo = toy_repo(make_repo)
    run = step(Runner(tmp_path, repo.root), {"scanners": "toy", "json-file": "r.json"})
    assert run.code == 1
    assert ("a.toy", "2") in run.errors()
    report = json.loads((repo.root / "r.json").read_text())
    assert [f["rule"] for f in report["findings"]] == ["TOY001"]
    assert "TOY001" in run.summary


def test_renderers_take_the_toy_from_the_report_alone(
        toy_registered: None, make_repo: Callable[..., Repo]) -> None:
    from secure_gate import engine
    from secure_gate.request import ScanRequest

    report = engine.scan(ScanRequest(root=toy_repo(make_repo).root, scanners=("toy",)))
    assert "TOY001" in render_text(report)
    assert "file=a.toy" in render_annotations(report)
