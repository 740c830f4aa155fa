"""A scan that scanned no file says so in every report, loudly, instead of a plain pass."""

from __future__ import annotations

import json
from dataclasses import replace

from secure_gate.model import FileStats
from secure_gate.report.json import render_json
from secure_gate.report.markdown import markdown_document
from secure_gate.report.text import render_text
from tests.report import samples


def test_an_empty_walk_is_named_in_text_markdown_and_json() -> None:
    report = replace(samples.empty(), files=FileStats())
    assert report.nothing_scanned and report.passed
    text = render_text(report)
    assert "NOTHING SCANNED: nothing was scanned: the walk found 0 file(s)" in text
    assert text.rstrip().splitlines()[-1].startswith(
        "secure-gate PASSED: NOTHING WAS SCANNED (0 files), so no blocking finding")
    md = markdown_document(report).text
    assert md.startswith("## ⚠️ secure-gate scanned nothing\n")
    assert "✅" not in md.split("\n", 1)[0]
    assert json.loads(render_json(report))["nothing_scanned"] is True


def test_files_that_were_all_skipped_say_why() -> None:
    files = FileStats(total=3, scanned=0, excluded=2, binary=1)
    report = replace(samples.empty(), files=files)
    assert report.nothing_scanned_line().startswith(
        "nothing was scanned: the walk found 3 file(s), none scannable (2 excluded, 1 binary)")


def test_a_normal_scan_is_not_marked() -> None:
    report = samples.empty()
    assert not report.nothing_scanned
    assert "NOTHING" not in render_text(report)
    assert json.loads(render_json(report))["nothing_scanned"] is False
    assert markdown_document(report).text.startswith("## ✅ secure-gate passed")
