"""Fake credentials built at run time, so the repository itself holds none."""

from __future__ import annotations

import random
import string

_rng = random.Random(20261129)


def _token(alphabet: str, length: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(length))


GITHUB_TOKEN = "ghp_" + _token(string.ascii_letters + string.digits, 36)
AWS_KEY_ID = "AKIA" + _token(string.ascii_uppercase + "234567", 16)
PASSWORD = "Pw-" + _token(string.ascii_letters + string.digits, 20)
ALL = (GITHUB_TOKEN, AWS_KEY_ID, PASSWORD)


def leaked(text: str) -> list[str]:
    """The fake secrets (or a telling part of them) that appear in ``text``."""
    return [s for s in ALL if s in text or s[4:20] in text]
