"""Offline end to end with the shared PyPA advisory snapshot and an independent matcher."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

FILES = {
    "requirements.txt": "django==2.2.0\n# web\nrequests==2.19.0  # http\nflask>=1.0\n",
    "svc/requirements.txt": "Django==3.2.0\n",
    "pyproject.toml": ('[project]\nname = "app"\ndependencies = [\n    "jinja2==2.10",\n'
                       '    "werkzeug>=2",\n]\n[project.optional-dependencies]\n'
                       'dev = ["setuptools==65.0.0"]\n'),
    "poetry.lock": ('[[package]]\nname = "PyYAML"\nversion = "5.3"\noptional = false\n\n'
                    '[[package]]\nname = "six"\nversion = "1.16.0"\n'),
    "uv.lock": ('version = 1\n\n[[package]]\nname = "urllib3"\nversion = "1.24.1"\n'
                'source = { registry = "https://pypi.org/simple" }\n'),
    "Pipfile.lock": json.dumps({"_meta": {}, "default": {"requests": {"version": "==2.19.0"}},
                                "develop": {"pillow": {"version": "==8.0.0"}}}, indent=4),
    "pylock.toml": ('lock-version = "1.0"\ncreated-by = "hand"\n\n[[packages]]\nname = "lxml"\n'
                    'version = "4.6.2"\n'),
}
# (file, text that marks the pinning line, package, version), found without our parsers.
PINS = [
    ("requirements.txt", "django==2.2.0", "django", "2.2.0"),
    ("requirements.txt", "requests==2.19.0", "requests", "2.19.0"),
    ("svc/requirements.txt", "Django==3.2.0", "django", "3.2.0"),
    ("pyproject.toml", '"jinja2==2.10"', "jinja2", "2.10"),
    ("pyproject.toml", "setuptools==65.0.0", "setuptools", "65.0.0"),
    ("poetry.lock", 'version = "5.3"', "pyyaml", "5.3"),
    ("poetry.lock", 'version = "1.16.0"', "six", "1.16.0"),
    ("uv.lock", 'version = "1.24.1"', "urllib3", "1.24.1"),
    ("Pipfile.lock", '"version": "==2.19.0"', "requests", "2.19.0"),
    ("Pipfile.lock", '"version": "==8.0.0"', "pillow", "8.0.0"),
    ("pylock.toml", 'version = "4.6.2"', "lxml", "4.6.2"),
]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _bound(event: dict[str, str]) -> tuple[str, Version]:
    (kind, value), = event.items()
    return kind, Version("0.dev0") if value == "0" else Version(value)


def in_intervals(events: list[dict[str, str]], version: Version) -> bool:
    """Affected intervals [introduced, fixed) and [introduced, last_affected], by pairs."""
    def order(a: tuple[str, Version], b: tuple[str, Version]) -> int:
        return (a[1] > b[1]) - (a[1] < b[1])

    bounds = sorted((_bound(e) for e in events), key=cmp_to_key(order))
    start: Version | None = None
    for kind, value in [*bounds, ("end", Version("999999"))]:
        if kind == "introduced":
            start = value if start is None else start
            continue
        if start is not None:
            inside = start <= version < value if kind != "last_affected" else \
                start <= version <= value
            if kind == "end":
                inside = start <= version
            if inside:
                return True
            start = None
    return False


def expected_ids(archive: Path, name: str, version: str) -> set[str]:
    wanted, parsed = normalise(name), Version(version)
    out = set()
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            record = json.loads(zf.read(member))
            if record.get("withdrawn"):
                continue
            for affected in record.get("affected", []):
                package = affected["package"]
                if package["ecosystem"] != "PyPI" or normalise(package["name"]) != wanted:
                    continue
                listed = any(_same(v, parsed) for v in affected.get("versions", []))
                ranged = any(in_intervals(r["events"], parsed)
                             for r in affected.get("ranges", []) if r["type"] == "ECOSYSTEM")
                if listed or ranged:
                    out.add(record["id"])
    return out


def _same(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_many_manifests_get_exactly_the_matching_advisories(
        shared_dir: Path, make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    archive = shared_dir / "advisories" / "pypa-advisory-db.zip"
    repo = make_repo(FILES)
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit", "--advisory-db", str(archive))
    expected = set()
    for path, needle, name, version in PINS:
        line = line_of(FILES[path], needle)
        ids = expected_ids(archive, name, version)
        assert all(i.startswith("PYSEC-") for i in ids)  # so no alias merging is involved
        expected |= {(i, path, line) for i in ids}
    got = {(f["rule"], f["path"], f["line"]) for f in result.json_report["findings"]}
    assert len(expected) > 90
    assert got == expected
    assert result.code == 1
    scanner = next(s for s in result.json_report["scanners"] if s["name"] == "pip-audit")
    assert scanner["status"] == "ok"
    # django is pinned to two versions: two runs; each of the ten distinct pins asked once.
    assert scanner["stats"]["pip_audit_runs"] == 2
    assert scanner["stats"]["pins"] == scanner["stats"]["service_queries"] == 10
    assert "newest modified 2024-10-10" in scanner["notes"][0]
    assert any("requirements.txt:4 flask>=1.0" in n for n in scanner["notes"])
    assert any("pyproject.toml:5 werkzeug>=2" in n for n in scanner["notes"])


def test_done_when(shared_dir: Path, make_repo: Callable[..., Any],
                   run_cli: Callable[..., Any]) -> None:
    """`secure-gate scan --advisory-db …/pypa-advisory-db.zip` on `django==2.2.0`."""
    archive = shared_dir / "advisories" / "pypa-advisory-db.zip"
    repo = make_repo({"requirements.txt": "django==2.2.0\n", "app.py": "print('hi')\n"})
    result = run_cli(repo.root, "scan", "--advisory-db", str(archive))
    assert result.code == 1
    django = [f for f in result.json_report["findings"] if f["scanner"] == "pip-audit"]
    assert {f["rule"] for f in django} == expected_ids(archive, "django", "2.2.0")
    assert {(f["path"], f["line"]) for f in django} == {("requirements.txt", 1)}
    for finding in django:
        assert finding["message"].startswith(f"django 2.2.0 is affected by {finding['rule']}")
        assert "fixed in " in finding["message"] and finding["fix"].startswith("upgrade django")
        assert finding["blocking"]
    assert "requirements.txt:1  pip-audit PYSEC-" in result.out
