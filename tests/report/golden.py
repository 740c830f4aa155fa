"""Compare renders with reviewed golden files; ``SECURE_GATE_UPDATE_GOLDEN=1`` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE_VARIABLE = "SECURE_GATE_UPDATE_GOLDEN"


def check(relative: str, text: str) -> None:
    """Assert ``text`` equals the golden file byte for byte (or rewrite it when asked).

    Rewritten files must be reviewed (``git diff tests/golden``) before they are committed.
    """
    path = GOLDEN / relative
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    if not path.is_file():
        pytest.fail(f"{path} is missing: run with {UPDATE_VARIABLE}=1, then review it")
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert text == expected, f"{relative} differs: rerun with {UPDATE_VARIABLE}=1 and review"
