"""URL credentials: the one redaction function, and every renderer showing none of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from secure_gate.model import Severity, Suppression
from secure_gate.redact import redact
from secure_gate.report.annotations import render_annotations
from secure_gate.report.json import render_json
from secure_gate.report.markdown import render_markdown
from secure_gate.report.sarif import render_sarif
from secure_gate.report.text import render_text
from tests.report import samples

CORPUS = json.loads(samples.HOSTILE_FILE.read_text(encoding="utf-8"))
MARKER: str = CORPUS["secret_marker"]
CREDENTIALED = [s for s in CORPUS["strings"] if MARKER in s]
RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text, "json": render_json, "sarif": render_sarif,
    "markdown": render_markdown, "annotations": render_annotations}


def test_the_corpus_has_every_url_shape() -> None:
    assert len(CREDENTIALED) >= 10


@pytest.mark.parametrize("text", CREDENTIALED)
def test_every_credential_shape_is_redacted(text: str) -> None:
    assert MARKER not in redact(text)
    assert "***" in redact(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("git+https://x-access-token:" "ghp_abc@github.com/o/r.git@v1#egg=r",
     "git+https://***@github.com/o/r.git@v1#egg=r"),
    ("-e git+https://oauth2:" "glpat-x@gitlab.com/g/p.git",
     "-e git+https://***@gitlab.com/g/p.git"),
    ("https://h/x.whl?token=abc&v=2", "https://h/x.whl?token=***&v=2"),
    ("https://h/x?X-Amz-Signature=ab&X-Amz-Date=1", "https://h/x?X-Amz-Signature=***&X-Amz-Date=1"),
    ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),  # no secret: kept
    ("pkg @ https://example.com/pkg-1.0.whl#sha256=ab", "pkg @ https://example.com/pkg-1.0.whl"
     "#sha256=ab"),
    ("mail me: someone@example.com", "mail me: someone@example.com"),
    ("shell=True and a=b", "shell=True and a=b"),
])
def test_redaction_keeps_what_is_not_a_credential(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_no_renderer_shows_a_credential_from_repository_text() -> None:
    """Each URL in every field built from repository content: message, title, fix, reason,
    notes, notices, a scanner's error and the verdict's reasons."""
    made = []
    for i, url in enumerate(CREDENTIALED):
        made.append(samples.finding(
            samples.SCANNERS[i % 4], f"R{i}", list(Severity)[i % 5], f"req{i}.txt", i + 1,
            title=f"unpinned {url}", message=f"`{url}` is not pinned", fix=f"pin {url}",
            blocking=i % 2 == 0, new=True, new_reason=f"not in the base: {url}",
            suppression=Suppression("ledger", f"accepted: {url}") if i % 3 == 0 else None))
    report = samples.report(made, errors={"pip-audit": "pip-audit failed: " + " ".join(
        CREDENTIALED)}, notices=CREDENTIALED)
    report = replace(report, reasons=tuple(CREDENTIALED), scanners=tuple(
        replace(s, notes=(*s.notes, *CREDENTIALED)) for s in report.scanners))
    for name, render in RENDERERS.items():
        out = render(report)
        assert MARKER not in out, name
        assert "gitlab" in out, name  # the rest of each URL is still shown
