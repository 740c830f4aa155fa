"""The README's picture of the PR comment shows the golden digest it claims to show."""

from __future__ import annotations

import hashlib

from tests.conftest import PROJECT

GOLDEN = PROJECT / "tests" / "golden" / "digest" / "large.md"
PICTURE = PROJECT / "docs" / "digest.png"


def test_the_picture_is_of_the_current_golden_digest() -> None:
    recorded = (PROJECT / "docs" / "digest.png.sha256").read_text().strip()
    assert recorded == hashlib.sha256(GOLDEN.read_bytes()).hexdigest(), (
        "the golden digest changed: run .venv/bin/python scripts/render_digest.py")
    assert PICTURE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](docs/digest.png)" in (PROJECT / "README.md").read_text(encoding="utf-8")
