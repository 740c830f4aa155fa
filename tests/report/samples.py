"""Reports built directly from the model for golden and safety tests of every renderer."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from secure_gate.model import (
    Confidence,
    FileStats,
    Finding,
    Location,
    Policy,
    PolicyChange,
    Report,
    ScannerResult,
    Severity,
    Status,
    Suppression,
    assign_fingerprints,
)
from secure_gate.report.digest import DigestOptions
from secure_gate.scanners import SCANNERS as REGISTERED
from secure_gate.scanners import scanner_class

HOSTILE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile_strings.json"
VERSION = "@@VERSION@@"
SCANNERS = ("bandit", "pip-audit", "detect-secrets", "pins")

REPOSITORY_URL = "https://github.com/octo/app"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
RUN_URL = f"{REPOSITORY_URL}/actions/runs/4242"
# The PR comment as the Action frames it: marker, job summary link, the report files.
DIGEST_OPTIONS = DigestOptions(marker="<!-- secure-gate:comment:default -->", run_url=RUN_URL,
                               artifacts=("secure-gate.json", "secure-gate.sarif"))


def hostile_strings() -> list[str]:
    """The shared corpus of hostile strings (tests/fixtures/hostile_strings.json)."""
    data = json.loads(HOSTILE_FILE.read_text(encoding="utf-8"))
    strings: list[str] = data["strings"]
    return strings


def finding(scanner: str, rule: str, severity: Severity, path: str, line: int | None = 3, *,
            title: str | None = None, message: str | None = None,
            confidence: Confidence = Confidence.HIGH, blocking: bool = False,
            new: bool | None = None, new_reason: str | None = None,
            suppression: Suppression | None = None, fix: str | None = None,
            column: int | None = None, end_column: int | None = None,
            end_line: int | None = None, help_uri: str | None = None,
            tags: Sequence[str] = ("security",), fixed_in: str | None = None) -> Finding:
    """A finding as a scanner and the policy would have made it."""
    made = Finding.create(
        scanner=scanner, rule=rule, title=title or f"{rule} title",
        severity=severity, confidence=confidence,
        location=Location(path, line, end_line, column, end_column),
        message=message if message is not None else f"{rule}: something is wrong here.",
        evidence=f"{scanner}\n{rule}\n{path}", help_uri=help_uri, tags=tags, fix=fix,
        fixed_in=fixed_in,
    )
    return made.replace(blocking=blocking, new=new, new_reason=new_reason,
                        suppression=suppression)


def _declared(name: str) -> dict[str, str | None]:
    """What a registered scanner declares about itself, as run.collect copies it."""
    if name not in REGISTERED:
        return {}
    cls = scanner_class(name)
    return {"information_uri": cls.information_uri,
            "inline_suppression": cls.inline_suppression}


def report(findings: Sequence[Finding], *, errors: dict[str, str] | None = None,
           skipped: Sequence[str] = (), fail_on: Severity | None = Severity.HIGH,
           notices: Sequence[str] = (), links: bool = True, diff_base: str | None = None,
           scanner_names: Sequence[str] = SCANNERS) -> Report:
    """A Report the way run.judge builds one: fingerprints, sorted findings, verdict."""
    errors = errors or {}
    stamped = sorted(assign_fingerprints(findings), key=Finding.sort_key)
    results = []
    for name in scanner_names:
        mine = tuple(f for f in stamped if f.scanner == name)
        declared = _declared(name)
        if name in skipped:
            results.append(ScannerResult(name, None, Status.SKIPPED, "no files for this scanner",
                                         0.0, **declared))
        elif name in errors:
            results.append(ScannerResult(name, "1.2.3", Status.ERROR, errors[name], 2.5, mine,
                                         4, ("2 file(s) could not be read",), **declared))
        else:
            results.append(ScannerResult(name, "1.2.3", Status.OK, None, 1.25, mine, 7,
                                         (f"{name} note",), (("nosec", 1),), **declared))
    blocking = [f for f in stamped if f.blocking]
    reasons = [f"scanner {n} could not complete: {m}" for n, m in errors.items()]
    if blocking:
        reasons.append(f"{len(blocking)} blocking finding(s) at or above "
                       f"{fail_on.label if fail_on else 'never'}")
    code = 3 if errors else (1 if blocking else 0)
    return Report(
        tool_version=VERSION, policy=Policy(fail_on, Confidence.MEDIUM),
        scanners=tuple(results), findings=tuple(stamped),
        files=FileStats(total=12, scanned=9, excluded=2, binary=1,
                        samples=(("assets/logo.png", "binary"),)),
        passed=code == 0, exit_code=code, reasons=tuple(reasons),
        repository_url=REPOSITORY_URL if links else None, commit=COMMIT if links else None,
        diff_base=diff_base, notices=tuple(notices),
    )


def empty() -> Report:
    """Every scanner ran and found nothing."""
    return report([])


def every_severity() -> Report:
    """One finding of each severity, from each scanner, with every policy mark."""
    return report([
        finding("pip-audit", "PYSEC-2024-1", Severity.CRITICAL, "requirements.txt", 4,
                title="Remote code execution in examplepkg", blocking=True, new=True,
                new_reason="not in the base commit", fix="upgrade examplepkg to 2.0.1 or later",
                fixed_in="2.0.1",
                help_uri="https://osv.dev/vulnerability/PYSEC-2024-1",
                tags=("security", "dependency", "vulnerability")),
        finding("bandit", "B602", Severity.HIGH, "app/run.py", 5, column=5, end_column=38,
                title="subprocess_popen_with_shell_equals_true", blocking=True,
                message="subprocess call with shell=True identified, security issue.",
                help_uri="https://bandit.readthedocs.io/en/1.9.4/plugins/b602.html",
                tags=("security", "external/cwe/cwe-78")),
        finding("detect-secrets", "github-token", Severity.HIGH, "app/settings.py", 1,
                title="GitHub Token", blocking=True,
                message="Possible GitHub Token committed to the repository."),
        finding("pins", "unpinned-action", Severity.MEDIUM, ".github/workflows/ci.yml", 12,
                end_line=12, column=15, end_column=40, confidence=Confidence.MEDIUM,
                title="Action not pinned to a commit SHA", new=False,
                new_reason="already in the base commit"),
        finding("bandit", "B311", Severity.LOW, "app/util.py", 9, column=12, end_column=27,
                title="blacklist", confidence=Confidence.LOW,
                message="Standard pseudo-random generators are not suitable for security."),
        finding("pins", "missing-lockfile", Severity.INFO, "pyproject.toml", None,
                title="No lock file", message="No lock file pins the dependencies."),
    ], diff_base="origin/main")


def scanner_errors() -> Report:
    """Two scanners failed (one with a partial result), one skipped."""
    return report([finding("bandit", "B105", Severity.LOW, "app/conf.py", 2)],
                  errors={"pip-audit": "timed out after 300s",
                          "detect-secrets": "exit 2: usage error"},
                  skipped=("pins",))


def suppressed() -> Report:
    """Findings accepted by a baseline and by the ledger: reported, never blocking."""
    return report([
        finding("bandit", "B602", Severity.HIGH, "app/old.py", 5,
                suppression=Suppression("baseline", "recorded in .secure-gate-baseline.json")),
        finding("detect-secrets", "secret-keyword", Severity.HIGH, "tests/data.py", 3,
                suppression=Suppression("ledger", "test fixture, not a real key (until "
                                        "2031-01-01)")),
        finding("bandit", "B101", Severity.LOW, "app/check.py", 8),
    ])


def policy_changes() -> Report:
    """A change that relaxes the policy judged by its base's, with hostile values in it."""
    changes = (
        PolicyChange("fail-on", "high", "critical", "relaxes", ".secure-gate.yml", 1),
        PolicyChange("exclude", "", "::error::x%0A##[y]<b>*", "relaxes", ".secure-gate.yml", 3),
        PolicyChange("scanners.bandit.timeout", "900", "1200", "tightens", ".secure-gate.yml",
                     6),
        PolicyChange("baseline b.json", "", "accepts 2 more finding(s)", "relaxes", "b.json"),
    )
    made = report([finding("bandit", "B602", Severity.HIGH, "app/run.py", 5, blocking=True,
                           new=True, new_reason="not present at the base")],
                  diff_base="0123456789ab")
    return dataclasses.replace(made, policy_source="the base commit 0123456789ab",
                               policy_changes=changes)


def hostile() -> Report:
    """The hostile corpus in paths, rule ids, titles, messages, reasons and notices."""
    strings = hostile_strings()
    made = []
    for i, whole in enumerate(strings):
        # The message carries each string whole; other fields its first 300 characters.
        text = whole[:300]
        path = text.replace("\0", "\\0").lstrip("/") or "x"
        made.append(finding(
            SCANNERS[i % 4], text or "x", list(Severity)[i % 5], f"h{i}/{path}", i + 1,
            title=text, message=whole, blocking=i % 3 == 0, column=2, end_column=1 + i % 7,
            new=True if i % 2 else None, new_reason=text if i % 2 else None, fix=text,
            help_uri=text, tags=("security", text),
            suppression=Suppression("baseline", text) if i % 7 == 6 else None))
    return report(made, errors={"pip-audit": strings[0] + strings[7]},
                  notices=strings[:3], diff_base=strings[11])


def _advisory(rule: str, severity: Severity, path: str, line: int, fixed_in: str | None, *,
              new: bool, blocking: bool) -> Finding:
    made = finding("pip-audit", rule, severity, path, line, blocking=blocking, new=new,
                   title=f"{rule} in requests", tags=("security", "dependency", "vulnerability"),
                   new_reason="the line that pins it changed" if new else "pin unchanged",
                   fix=f"upgrade requests to {fixed_in} or later" if fixed_in else None,
                   message=f"requests 2.19.0 is affected by {rule}.", fixed_in=fixed_in)
    return made


def large() -> Report:
    """A real application's first PR with the gate: 1,000 findings, a few of them new.

    The PR adds a ``shell=True`` call, bumps one vulnerable pin (28 advisories on one
    line) and adds SQL built from strings in a dozen files; everything else was there.
    """
    made: list[Finding] = [finding(
        "bandit", "B602", Severity.HIGH, "app/run.py", 5, column=5, end_column=38,
        title="subprocess_popen_with_shell_equals_true", blocking=True, new=True,
        new_reason="not in the base commit",
        message="subprocess call with shell=True identified, security issue.")]
    fixes = ["2.20.0", "2.22.0", "2.31.0", None, "2.32.0", "2.32.4"]
    made += [_advisory(f"GHSA-{i:04x}-req{i:02d}-xxxx", Severity.CRITICAL if i < 3
                       else Severity.HIGH, "requirements.txt", 4, fixes[i % len(fixes)],
                       new=True, blocking=True) for i in range(28)]
    made += [finding("bandit", "B608", Severity.MEDIUM, f"app/reports/q{i:02d}.py", 10 + i,
                     title="hardcoded_sql_expressions", blocking=True, new=True,
                     new_reason="not in the base commit",
                     message="Possible SQL injection vector through string-based query.")
             for i in range(12)]
    made += [_advisory(f"PYSEC-2023-{i}", Severity.HIGH, "requirements/prod.txt", 7 + i % 3,
                       "4.2.1", new=False, blocking=False) for i in range(9)]
    made += [finding("bandit", "B101", Severity.LOW, f"tests/test_{i // 8:03d}.py", 3 + i % 8,
                     title="assert_used", confidence=Confidence.HIGH, new=False,
                     new_reason="already in the base commit") for i in range(560)]
    made += [finding("bandit", "B311", Severity.LOW, f"app/util{i:03d}.py", 9,
                     title="blacklist", confidence=Confidence.LOW, new=False)
             for i in range(180)]
    made += [finding("detect-secrets", "secret-keyword", Severity.HIGH, f"tests/data{i}.py", 2,
                     title="Secret Keyword", new=False,
                     suppression=Suppression("baseline", "recorded in the baseline"))
             for i in range(60)]
    made += [finding("pins", "unpinned-action", Severity.MEDIUM,
                     f".github/workflows/w{i:02d}.yml", 12, title="Action not pinned",
                     confidence=Confidence.MEDIUM, new=False) for i in range(100)]
    made += [finding("pins", "unhashed-requirement", Severity.LOW, "requirements/dev.txt",
                     1 + i, title="Requirement without --hash", new=False)
             for i in range(1000 - len(made))]
    return report(made, diff_base="origin/main")
