"""pip-audit end to end through the CLI: real pip-audit, self-written OSV data on loopback."""

from __future__ import annotations

import io
import socket
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate.advisories.db import AdvisoryDB
from secure_gate.advisories.server import OsvServer

EDGE_DB = Path(__file__).resolve().parents[1] / "fixtures" / "osv" / "edge"

EDGE_REQUIREMENTS = """\
# extras and markers do not change what is audited: the gate cannot know the target
Edge_Pkg[extra]==1.4rc1 ; python_version < "3"
versions-only==2.1
pre-post == 3.0.0rc1 \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
aliased.pkg==1.0
labelled==1.0
clean-pkg==1.0
requests>=2.0
"""
EDGE_PYPROJECT = """\
[project]
name = "svc"
dependencies = [
    "edge-pkg==1.4.post1",
    "aliased-pkg==1.0",
]
"""


def pip_audit(result: Any) -> dict[str, Any]:
    return next(s for s in result.json_report["scanners"] if s["name"] == "pip-audit")


def found(result: Any) -> set[tuple[str, str, int, str]]:
    return {(f["rule"], f["path"], f["line"], f["severity"])
            for f in result.json_report["findings"] if f["scanner"] == "pip-audit"}


def scan(run_cli: Callable[..., Any], root: Path, *extra: str) -> Any:
    return run_cli(root, "scan", "--scanners", "pip-audit", "--advisory-db", str(EDGE_DB),
                   *extra)


def test_edge_cases_offline(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": EDGE_REQUIREMENTS, "svc/pyproject.toml": EDGE_PYPROJECT})
    result = scan(run_cli, repo.root)
    assert result.code == 1, result.out + result.err
    assert found(result) == {
        ("SGTEST-LAST-1", "requirements.txt", 2, "high"),        # 1.4rc1 <= last_affected 1.4
        ("SGTEST-VERSIONS-1", "requirements.txt", 3, "high"),
        ("SGTEST-PRE-1", "requirements.txt", 4, "low"),          # the database's label
        ("PYSEC-TEST-1", "requirements.txt", 6, "critical"),     # the GHSA twin's CVSS
        ("PYSEC-TEST-1", "svc/pyproject.toml", 5, "critical"),   # the same pin, elsewhere
        ("SGTEST-LABEL-1", "requirements.txt", 7, "medium"),
        ("SGTEST-V4-1", "requirements.txt", 7, "medium"),       # CVSS v4 4.6
    }  # edge-pkg 1.4.post1 is past last_affected; the withdrawn advisory never shows
    scanner = pip_audit(result)
    assert scanner["status"] == "ok"
    # edge-pkg is pinned to two versions: two pip-audit runs, each pin asked about once.
    assert scanner["stats"]["pip_audit_runs"] == 2
    assert scanner["stats"]["pins"] == scanner["stats"]["service_queries"] == 7
    assert scanner["files_scanned"] == 2
    notes = scanner["notes"]
    assert notes[0].startswith(f"vulnerability data: offline advisory database {EDGE_DB}: 7 "
                               "advisories (1 withdrawn, skipped), newest modified 2024-07-15")
    assert "not audited, not pinned with == (1): requirements.txt:9 requests>=2.0" in notes
    aliased = next(f for f in result.json_report["findings"]
                   if f["path"] == "svc/pyproject.toml")
    assert aliased["aliases"] == ["CVE-2099-0001", "GHSA-test-aaaa-bbbb"]
    assert aliased["fix"] == "upgrade aliased-pkg to 1.1 or later"
    assert aliased["help_uri"] == "https://osv.dev/vulnerability/PYSEC-TEST-1"


def test_ledger_suppression_by_advisory_and_rule_override(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    config = """\
rules:
  SGTEST-VERSIONS-1: {severity: low}
suppressions:
  - advisory: CVE-2099-0001
    reason: not reachable from our code (ticket SEC-1)
    expires: 2999-01-01
  - advisory: SGTEST-LAST-1
    reason: expired acceptance
    expires: 2000-01-01
"""
    repo = make_repo({".secure-gate.yml": config,
                      "requirements.txt": "aliased-pkg==1.0\nversions-only==2.1\nedge-pkg==1.1\n"})
    result = scan(run_cli, repo.root)
    by_rule = {f["rule"]: f for f in result.json_report["findings"]}
    aliased = by_rule["PYSEC-TEST-1"]
    assert aliased["suppressed"] and not aliased["blocking"]
    assert aliased["suppression"]["reason"].startswith("not reachable from our code")
    assert (by_rule["SGTEST-VERSIONS-1"]["severity"], by_rule["SGTEST-VERSIONS-1"]["blocking"]
            ) == ("low", False)
    assert by_rule["SGTEST-LAST-1"]["blocking"] and not by_rule["SGTEST-LAST-1"]["suppressed"]
    assert any("expired on 2000-01-01" in n for n in result.json_report["notices"])
    assert result.code == 1
    repo.write({"requirements.txt": "aliased-pkg==1.0\nversions-only==2.1\n"})
    assert scan(run_cli, repo.root).code == 0


def test_each_manifest_line_and_unpinned_notes(make_repo: Callable[..., Any],
                                               run_cli: Callable[..., Any]) -> None:
    repo = make_repo({
        "requirements.txt": "-r requirements/base.txt\nlabelled==1.0.1\n",
        "requirements/base.txt": "labelled==1.0\n-e ./lib\nhttps://example.invalid/x.whl\n",
        "poetry.lock": '[[package]]\nname = "labelled"\nversion = "1.0"\n',
        "lib/setup.py": "raise SystemExit('never run')\n",
    })
    result = scan(run_cli, repo.root)
    assert {(r, p, line) for r, p, line, _ in found(result)} == {
        ("SGTEST-LABEL-1", "requirements/base.txt", 1), ("SGTEST-V4-1", "requirements/base.txt", 1),
        ("SGTEST-LABEL-1", "poetry.lock", 3), ("SGTEST-V4-1", "poetry.lock", 3),
        ("SGTEST-V4-1", "requirements.txt", 2)}  # 1.0.1 fixes LABEL-1 but not V4-1
    notes = pip_audit(result)["notes"]
    assert "not audited, an editable install (1): requirements/base.txt:2 -e ./lib" in notes
    assert ("not audited, installed from a URL (1): requirements/base.txt:3 "
            "https://example.invalid/x.whl") in notes


def _sdist(marker: Path) -> bytes:
    setup = (f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
             "from setuptools import setup\nsetup(name='localpkg', version='1.0')\n").encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("localpkg-1.0/setup.py")
        info.size = len(setup)
        archive.addfile(info, io.BytesIO(setup))
    return buffer.getvalue()


def test_repository_code_never_runs(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                    tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    writes_marker = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    repo = make_repo({
        "requirements.txt": ("./localpkg\n-e ./localpkg\nlocalpkg @ file:./localpkg\n"
                             "dist/localpkg-1.0.tar.gz\nlocalpkg==1.0\n"),
        "localpkg/setup.py": writes_marker + "from setuptools import setup\nsetup()\n",
        "dist/localpkg-1.0.tar.gz": _sdist(marker),
        # A project whose in-tree build backend would run on any build or metadata query.
        "pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                           'backend-path = ["."]\n[project]\nname = "app"\n'
                           'dependencies = ["localpkg==1.0"]\n'),
        "backend.py": writes_marker,
        "setup.py": writes_marker,
    })
    result = scan(run_cli, repo.root)
    assert not marker.exists(), "repository code ran during the scan"
    scanner = pip_audit(result)
    assert scanner["status"] == "ok", scanner["message"]
    assert scanner["stats"]["pip_audit_runs"] == 1 and scanner["stats"]["pins"] == 1
    assert result.code == 0
    notes = " ".join(scanner["notes"])
    assert "a local path (3)" in notes and "an editable install (1)" in notes


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_service_down_fails_closed(make_repo: Callable[..., Any],
                                   run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": "labelled==1.0\n"})
    url = f"http://127.0.0.1:{_closed_port()}/v1/query"
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit", "--osv-url", url)
    assert result.code == 3
    scanner = pip_audit(result)
    assert scanner["status"] == "error"
    assert f"the OSV service at {url}" in scanner["message"]
    assert "Connection refused" in scanner["message"]
    assert "Traceback" not in result.out + result.err  # the report, not pip-audit's stack
    assert "scanner pip-audit could not complete" in result.json_report["reasons"][0]


def test_osv_url_mirror(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": "aliased-pkg==1.0\npre-post==3.0.0rc1\n"})
    with OsvServer(AdvisoryDB.load(EDGE_DB)) as mirror:
        result = run_cli(repo.root, "scan", "--scanners", "pip-audit", "--osv-url", mirror.url)
        asked = mirror.queries
    assert result.code == 1
    assert sorted(asked) == [("aliased-pkg", "1.0"), ("pre-post", "3.0.0rc1")]
    # pip-audit's JSON carries no severity: high, and the report says so.
    assert {(r, s) for r, _, _, s in found(result)} == {("PYSEC-TEST-1", "high"),
                                                        ("SGTEST-PRE-1", "high")}
    notes = pip_audit(result)["notes"]
    assert notes[0] == f"vulnerability data: the OSV service at {mirror.url}"
    assert any("the service gives no severity" in n for n in notes)


def test_malformed_manifest_fails_closed_and_keeps_the_rest(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": "labelled==1.0\n", "a/requirements.txt": "foo bar\n",
                      "uv.lock": "[[package]\n"})
    result = scan(run_cli, repo.root)
    assert result.code == 3
    scanner = pip_audit(result)
    assert scanner["status"] == "error"
    assert "a/requirements.txt:1: not a valid requirement" in scanner["message"]
    assert "uv.lock: not valid TOML" in scanner["message"]
    assert {r for r, _, _, _ in found(result)} == {"SGTEST-LABEL-1", "SGTEST-V4-1"}


@pytest.mark.parametrize(("config", "key"), [
    ("scanners:\n  pip-audit:\n    osv-url: ftp://example.invalid\n", "scanners.pip-audit.osv-url"),
    ("scanners:\n  pip-audit:\n    service-timeout: 0\n", "scanners.pip-audit.service-timeout"),
    ("scanners:\n  pip-audit:\n    advisory-db: ''\n", "scanners.pip-audit.advisory-db"),
    ("scanners:\n  pip-audit:\n    bogus: 1\n", "scanners.pip-audit.bogus"),
])
def test_config_errors_exit_2(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                              config: str, key: str) -> None:
    repo = make_repo({".secure-gate.yml": config, "requirements.txt": "labelled==1.0\n"})
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit")
    assert result.code == 2
    assert f".secure-gate.yml: {key}:" in result.err


@pytest.mark.parametrize(("args", "problem"), [
    (("--osv-url", "http://127.0.0.1:1/v1/query", "--advisory-db", "x"), "do not go together"),
    (("--advisory-db", "missing.zip"), "--advisory-db missing.zip: no such file or folder"),
    (("--osv-url", "file:///etc/passwd"), "--osv-url: 'file:///etc/passwd' does not match"),
])
def test_flag_errors_exit_2(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                            args: tuple[str, ...], problem: str) -> None:
    repo = make_repo({"requirements.txt": "labelled==1.0\n"})
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit", *args)
    assert result.code == 2
    assert problem in result.err


def test_config_data_source_and_bad_database(make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": "scanners:\n  pip-audit:\n    advisory-db: osv\n",
                      "osv/broken.json": "{", "requirements.txt": "labelled==1.0\n"})
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit")
    assert result.code == 3
    assert pip_audit(result)["message"].startswith(
        "advisory database osv: broken.json: not valid JSON")
    both = "scanners:\n  pip-audit:\n    advisory-db: osv\n    osv-url: http://127.0.0.1:1/\n"
    repo.write({".secure-gate.yml": both})
    rejected = run_cli(repo.root, "scan", "--scanners", "pip-audit")
    assert rejected.code == 2  # a configuration error, found before anything runs
    assert "scanners.pip-audit: osv-url and advisory-db do not go together" in rejected.err
    # A flag replaces the config's data source.
    repo.write({".secure-gate.yml": "scanners:\n  pip-audit:\n    osv-url: http://127.0.0.1:1/\n"})
    replaced = scan(run_cli, repo.root)
    assert pip_audit(replaced)["status"] == "ok"
    assert {r for r, _, _, _ in found(replaced)} == {"SGTEST-LABEL-1", "SGTEST-V4-1"}


def test_service_that_knows_nothing_fails_closed(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """PyPI's JSON API cannot be reached from the test machine: its recorded answer stands in."""
    import json

    from secure_gate.scanners.pip_audit import runs

    recorded = json.loads((EDGE_DB.parents[1] / "pip_audit" / "pypi_not_found.json").read_text())

    def answer(pins: Any, service: runs.Service, **_: Any) -> runs.Audit:
        assert service.argv == ("-s", "pypi")
        return runs.parse_report(recorded, sorted(pins))

    monkeypatch.setattr(runs, "audit_all", answer)
    repo = make_repo({"requirements.txt": "django==2.2.0\nrequests==2.19.0\nnotapkg-xyz==1.0\n"})
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit")
    assert result.code == 3
    assert "knew none of the 3 pinned package(s)" in pip_audit(result)["message"]


def test_no_manifests_is_skipped(make_repo: Callable[..., Any],
                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app.py": "x = 1\n"})
    result = scan(run_cli, repo.root)
    assert (result.code, pip_audit(result)["status"]) == (0, "skipped")


def test_diff_mode_marks_only_changed_pins_new(make_repo: Callable[..., Any],
                                               run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": "labelled==1.0\n"})
    repo.write({"requirements.txt": "labelled==1.0\npre-post==3.0.0rc1\n"})
    repo.commit("add pre-post")
    result = scan(run_cli, repo.root, "--diff-base", "HEAD~1")
    new = {f["rule"]: f["new"] for f in result.json_report["findings"]}
    assert new == {"SGTEST-LABEL-1": False, "SGTEST-V4-1": False, "SGTEST-PRE-1": True}
    assert result.code == 0  # the only new finding is low


def test_environment_variables_leave_the_audit_complete(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    # pip expands ${NAME} at install time; the gate names them and audits the rest.
    repo = make_repo({"requirements.txt": (
        "-r ${REQ_DIR}/base.txt\nlabelled==${LABELLED_VERSION}\nversions-only==2.1\n")})
    result = scan(run_cli, repo.root)
    assert result.code == 1, result.out + result.err
    assert found(result) == {("SGTEST-VERSIONS-1", "requirements.txt", 3, "high")}
    scanner = pip_audit(result)
    assert scanner["status"] == "ok" and scanner["stats"]["pins"] == 1
    assert ("not audited, its name or version is an environment variable pip expands at "
            "install time (1): requirements.txt:2 labelled==${LABELLED_VERSION}"
            ) in scanner["notes"]
