"""Known-benign shapes: each rule drops the benign shape and keeps the real one next to it."""

from __future__ import annotations

import pytest

from secure_gate.scanners.detect_secrets import benign as secrets_benign
from secure_gate.scanners.detect_secrets import urls as secrets_urls
from tests import secrets_corpus as fake

SHA = "4f1c2a9d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a"  # pragma: allowlist secret (a commit id)
# pragma: allowlist nextline secret (a digest)
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
FP = "0123456789abcdef0123456789abcdef"  # pragma: allowlist secret (a fingerprint shape)
REAL = fake.PASSWORD

# (rule, value, benign line, path, the same value in a real-looking place: still reported)
CASES = [
    ("commit-sha", SHA, f"    rev: {SHA}  # frozen: v1.2.3", ".pre-commit-config.yaml",
     f"    token: {SHA}"),
    ("commit-sha", SHA, f"      - uses: actions/checkout@{SHA}", ".github/workflows/ci.yml",
     f"      API_KEY: {SHA}"),
    ("commit-sha", SHA, f"pkg @ git+https://github.com/o/r@{SHA}", "requirements.txt",
     f'secret = "{SHA}"'),
    ("lock-file-hash", SHA256, f'hash = "{SHA256}"', "uv.lock", f'api_key = "{SHA256}"'),
    ("lock-file-hash", SHA256, f'"{SHA256}",', "Pipfile.lock", f'"{SHA256}",'),
    ("lock-file-hash", SHA256, f'sha256 = "{SHA256}"', "pylock.dev.toml", f'key = "{SHA256}"'),
    ("digest", SHA256, f"    --hash=sha256:{SHA256} \\", "requirements/dev.txt",
     f"password={SHA256}"),
    ("digest", SHA256, f'  "sha256": "{SHA256}"', "data/index.json", f'  "token": "{SHA256}"'),
    ("digest", "3vP4kFz0HhA6e1B8cQ2rL5mN7oT9uW0yX3zA6bC9dE2fG5hJ8kL1nP4qR7sT0v",
     '"integrity": "sha512-3vP4kFz0HhA6e1B8cQ2rL5mN7oT9uW0yX3zA6bC9dE2fG5hJ8kL1nP4qR7sT0v"',
     "web/package.json",
     '"signature": "3vP4kFz0HhA6e1B8cQ2rL5mN7oT9uW0yX3zA6bC9dE2fG5hJ8kL1nP4qR7sT0v"'),
    ("gate-fingerprint", FP, f'    "{FP}": {{', ".secure-gate-baseline.json",
     f'    "{FP}": "x",'),
    ("gate-fingerprint", FP, f'"fingerprint": "{FP}",', "report.json", f'"secret": "{FP}",'),
    ("placeholder", "your-api-key", 'API_KEY = "your-api-key"', "docs/usage.md",
     f'API_KEY = "{REAL}"'),
    ("placeholder", "changeme", "password: changeme", "deploy/values.yaml", f"password: {REAL}"),
    ("placeholder", "<token>", "token: <token>", "README.md", f"token: {REAL}"),
    ("placeholder", "xxxxxxxxxxxxxxxx", "SECRET=xxxxxxxxxxxxxxxx", ".env.example",
     f"SECRET={REAL}"),
    ("placeholder", "${DB_PASSWORD}", "password: ${DB_PASSWORD}", "compose.yaml",
     f"password: {REAL}"),
    ("placeholder", "dummy-key", "SECRET_KEY: dummy-key", ".github/workflows/ci.yml",
     f"SECRET_KEY: {REAL}"),
    ("placeholder", "password", 'password="password"', "tests/test_auth.py",
     f'password="{REAL}"'),
    ("placeholder", "api_token", 'api_token = "api_token"', "tests/test_api.py",
     f'api_token = "{REAL}"'),
    ("environment-read", 'os.environ["DB_PASSWORD"]', 'password: os.environ["DB_PASSWORD"]',
     "conf.yaml", f"password: {REAL}"),
    ("environment-read", "SECRET_KEY", 'SECRET_KEY = os.getenv("SECRET_KEY")', "settings.py",
     f'SECRET_KEY = os.getenv("X", "{REAL}")'),
    ("environment-read", "${{ secrets.PYPI_TOKEN }}", "password: ${{ secrets.PYPI_TOKEN }}",
     ".github/workflows/release.yml", f"password: {REAL}"),
    ("secrets-inherit", "inherit", "    secrets: inherit", ".github/workflows/ci.yml",
     f"    secrets: {REAL}"),
]


@pytest.mark.parametrize(("rule", "value", "benign", "path", "real"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_benign_shape_is_named_and_the_real_shape_is_not(rule: str, value: str, benign: str,
                                                         path: str, real: str) -> None:
    assert secrets_benign.rule_for(value, benign, path) == rule
    real_value = REAL if REAL in real else value
    assert secrets_benign.rule_for(real_value, real, "src/app/settings.py") is None


def test_a_short_hex_after_at_is_not_a_commit() -> None:
    assert secrets_benign.rule_for("4f1c2a9d8e7b6c5a", "x@4f1c2a9d8e7b6c5a", "a.txt") is None


def test_a_real_password_in_a_lock_file_name_lookalike_is_kept() -> None:
    assert secrets_benign.rule_for(REAL, f'password = "{REAL}"', "src/uv.lock.py") is None


# Written as scheme, user and host around the password, so this file holds no credential URL.
@pytest.mark.parametrize(("scheme", "user", "host", "expected"), [
    ("postgresql", "app", "db-7.prod.acme-corp.io:5432/app", True),
    ("postgresql+psycopg2", "app", "10.1.2.3/app", True),
    ("redis", "", "cache.acme-corp.io:6379/0", True),
    ("mysql", "root", "localhost/test", False),
    ("postgres", "u", "db.example.com/x", False),
    ("https", "u", "api.acme-corp.io/", False),
])
def test_credential_urls(scheme: str, user: str, host: str, expected: bool) -> None:
    url = f"{scheme}://{user}:{REAL}@{host}"
    assert secrets_urls.is_credential_url(REAL, f'DATABASE_URL = "{url}"') is expected


def test_hostile_long_lines_cost_no_more_than_the_window() -> None:
    """A megabyte of identifier characters before a value is read only near the value."""
    filler = "a" * 1_000_000
    assert secrets_benign.rule_for(REAL, f'{filler} = "{REAL}"', "a.py") is None
    assert secrets_benign.rule_for("changeme", f"{filler}:changeme", "a.py") == "placeholder"
    assert secrets_benign.rule_for(SHA, f"{filler} rev: {SHA}", "a.yaml") == "commit-sha"
    assert not secrets_urls.is_credential_url(REAL, f"{'a:' * 500_000}postgres://u:{REAL}@")
    url = f"postgresql://app:{REAL}@db-7.prod.acme-corp.io/app"
    assert secrets_urls.is_credential_url(REAL, filler + " " + url)


@pytest.mark.parametrize("value", ["secret", "password", "test"])
def test_everyday_values_are_weak_credentials_in_product_code(value: str) -> None:
    line = f'SECRET_KEY = "{value}"'
    assert secrets_benign.rule_for(value, line, "app/settings.py") is None
    assert secrets_benign.rule_for(value, line, "tests/settings.py") == "placeholder"
    assert secrets_benign.rule_for(value, line, "docs/howto.md") == "placeholder"
    assert secrets_benign.rule_for("changeme", "SECRET_KEY = changeme", "app/x.py") \
        == "placeholder"
