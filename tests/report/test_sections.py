"""Report bodies a reviewer reads: grouped repeats, blocking and new first, --show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secure_gate.config import ConfigError, validate
from secure_gate.model import Report, Severity
from secure_gate.report.markdown import MarkdownOptions, render_markdown
from secure_gate.report.sections import sections
from secure_gate.report.text import TextOptions, render_text
from tests.conftest import CliResult
from tests.report import golden, samples


def repeated() -> Report:
    """Diff mode: 7 asserts in one folder, 2 in another, one blocking secret, one new B602."""
    found = [samples.finding("bandit", "B101", Severity.LOW, f"tests/unit/test_{i}.py", i + 1,
                             message="Use of assert detected.", new=False,
                             new_reason="already in the base commit") for i in range(7)]
    found += [samples.finding("bandit", "B101", Severity.LOW, f"tools/t{i}.py", 2,
                              message="Use of assert detected.", new=False) for i in range(2)]
    found.append(samples.finding("detect-secrets", "AWS Access Key", Severity.HIGH,
                                 "app/settings.py", 4, blocking=True, new=True))
    found.append(samples.finding("bandit", "B602", Severity.MEDIUM, "app/run.py", 9, new=True,
                                 new_reason="not in the base commit"))
    return samples.report(found, diff_base="origin/main")


@pytest.mark.parametrize("show", ["all", "new", "blocking"])
def test_golden_grouped(show: str) -> None:
    report = repeated()
    golden.check(f"text/repeated_{show}.txt", render_text(report, TextOptions(show=show)))
    golden.check(f"markdown/repeated_{show}.md",
                 render_markdown(report, MarkdownOptions(show=show)))


def test_sections_order_and_counts() -> None:
    listed, hidden = sections(repeated(), "all")
    assert [(s.title, s.count, len(s.groups)) for s in listed] == [
        ("Blocking", 1, 1), ("New, not blocking", 1, 1), ("Low", 9, 2)]
    assert hidden == 0
    assert sections(repeated(), "new")[1] == 9
    assert sections(repeated(), "blocking")[1] == 10


def test_new_without_a_diff_base_lists_everything() -> None:
    report = samples.report([samples.finding("bandit", "B101", Severity.LOW, "a.py")])
    assert sections(report, "new")[1] == 0


def test_verdict_at_the_top_and_the_bottom() -> None:
    text = render_text(repeated())
    lines = text.splitlines()
    assert lines[0].startswith("secure-gate FAILED") and lines[-1] == lines[0]
    assert lines[1] == ("Findings: 11 (1 blocking): bandit 10, pip-audit 0, "
                        "detect-secrets 1 (1 blocking), pins 0")


def test_show_is_validated_in_the_config() -> None:
    assert validate({"show": "blocking"}, "cfg").show == "blocking"
    with pytest.raises(ConfigError, match="show"):
        validate({"show": "some"}, "cfg")
    with pytest.raises(ValueError, match="show must be one of"):
        sections(repeated(), "nothing")


def test_show_from_the_command_line_and_the_config(make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({".secure-gate.yml": "show: blocking\n",
                      "tests/test_a.py": "def test_a():\n    assert 1\n",
                      "app.py": "import subprocess\n\n\ndef go(c):\n"
                                "    subprocess.call(c, shell=True)\n    assert c\n"})
    configured = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert "BLOCKING (1)" in configured.out and "bandit B101" not in configured.out
    assert "finding(s) not listed here (show: blocking)" in configured.out
    everything = run_cli(repo.root, "scan", "--scanners", "bandit", "--show", "all")
    assert "bandit B101" in everything.out and "not listed here" not in everything.out
    assert everything.json_report is not None and configured.json_report is not None
    assert len(configured.json_report["findings"]) == len(everything.json_report["findings"])


def test_text_lists_every_place_of_a_blocking_group() -> None:
    found = [samples.finding("bandit", "B602", Severity.HIGH, f"app/m{i}.py", 5, blocking=True)
             for i in range(5)]
    text = render_text(samples.report(found))
    assert "bandit B602 x5 in app/" in text
    assert all(f"app/m{i}.py:5" in text for i in range(5)) and "more" not in text
    md = render_markdown(samples.report(found))
    assert "and 2 more" in md  # the markdown keeps its size: the first three places
