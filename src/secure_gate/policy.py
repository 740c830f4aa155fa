"""The one place that decides: overrides, suppressions, baseline, diff → blocking → exit code."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from secure_gate import filekinds
from secure_gate.config import ClassPolicy, Config, LedgerEntry
from secure_gate.errors import EXIT_FAILED, EXIT_PASSED, EXIT_SCANNER_ERROR
from secure_gate.globs import compile_glob
from secure_gate.model import TEST_IDIOM, Finding, ScannerResult, Status, Suppression

# Findings tagged so block in every path class: a vendor's token or a credential URL is a
# leaked credential wherever it sits (detect-secrets kinds; `unclassified` is a detector we
# do not know yet, so it fails safe), and an advisory names a dependency that gets installed.
BLOCK_IN_EVERY_CLASS = frozenset({"vendor-token", "credential-url", "unclassified",
                                  "vulnerability"})
# Findings tagged so block in every class but the tests' own: a private key names no account,
# and test suites keep the keys of their local TLS servers in tests and test data on purpose
# (detect-secrets' `private-keys-block-in` makes a path's keys block like vendor tokens).
BLOCK_OUTSIDE_TESTS = frozenset({"private-key"})
TEST_CLASSES = frozenset({filekinds.TESTS, filekinds.FIXTURES})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The policy's output: findings with their verdicts, and the run's exit code."""

    findings: tuple[Finding, ...]
    passed: bool
    exit_code: int
    reasons: tuple[str, ...]
    notices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewInfo:
    """Diff mode's answer for one finding: new or not, and why."""

    new: bool
    reason: str
    # An inline suppression on the finding that the base did not have (the change added it).
    new_suppression: bool = False


def _ledger_matches(entry: LedgerEntry, finding: Finding) -> bool:
    if entry.fingerprint:
        return finding.fingerprint == entry.fingerprint
    if entry.advisory:
        wanted = entry.advisory.upper()
        return finding.rule.upper() == wanted or wanted in (a.upper() for a in finding.aliases)
    if entry.rule != finding.rule:
        return False
    return entry.path is None or bool(compile_glob(entry.path).fullmatch(finding.location.path))


def evaluate(
    findings: Iterable[Finding],
    scanners: Iterable[ScannerResult],
    config: Config,
    *,
    today: dt.date,
    baseline: Mapping[str, int] | None = None,
    new: Mapping[str, NewInfo] | None = None,
) -> Verdict:
    """Apply the configuration to fingerprinted findings and decide pass or fail."""
    notices: list[str] = []
    active = [e for e in config.suppressions if e.expires is None or e.expires >= today]
    for entry in config.suppressions:
        if entry.expires is not None and entry.expires < today:
            notices.append(f"{entry.describe()} expired on {entry.expires.isoformat()} and "
                           "no longer suppresses anything: fix the finding or renew it "
                           f"(reason was: {entry.reason})")
    used: Counter[int] = Counter()
    remaining = Counter(baseline or {})
    disabled: Counter[str] = Counter()
    classes = filekinds.Classifier(config.paths)
    idioms: Counter[tuple[str, str]] = Counter()
    held: Counter[str] = Counter()
    out: list[Finding] = []
    added: list[Finding] = []
    ordered = sorted(findings, key=lambda f: (f.location.path, f.location.line or 0,
                                              f.fingerprint))
    for finding in ordered:
        rule = config.rules.get(finding.rule)
        if rule is not None and not rule.enabled:
            disabled[finding.rule] += 1
            continue
        path_class = classes(finding.location.path)
        settings = config.classes.get(path_class) or ClassPolicy()
        if TEST_IDIOM in finding.tags and not settings.test_idioms:
            idioms[(path_class, finding.rule)] += 1
            continue
        if rule is not None and rule.severity is not None:
            finding = finding.replace(severity=rule.severity)
        info = (new or {}).get(finding.fingerprint)
        # An inline comment (`# nosec`, `pragma: allowlist secret`) the tool honours; one the
        # judged change adds is listed, and with new-inline-suppressions: block not honoured.
        suppression = finding.suppression if finding.suppression is not None \
            and finding.suppression.kind == "inline" else None
        if suppression is not None and info is not None and info.new_suppression:
            added.append(finding)
            if config.new_inline_suppressions == "block":
                suppression = None
            elif config.new_inline_suppressions == "report":
                suppression = Suppression("inline", f"added by this change: {suppression.reason}")
        for entry in active if suppression is None else ():
            if _ledger_matches(entry, finding):
                used[entry.index] += 1
                owner = f"; owner {entry.owner}" if entry.owner else ""
                until = f"; until {entry.expires.isoformat()}" if entry.expires else ""
                suppression = Suppression("ledger", f"{entry.reason}{owner}{until}")
                break
        if suppression is None and remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            suppression = Suppression("baseline", "recorded in the baseline")
        finding = finding.replace(
            suppression=suppression,
            new=None if new is None else (info.new if info else True),
            new_reason=None if new is None else (info.reason if info else "not in the base"),
            path_class=path_class,
        )
        blocking = _blocks(finding, config)
        if blocking and not settings.block and not _blocks_in(finding, path_class):
            finding = finding.replace(not_blocking=f"in {path_class}")
            held[path_class] += 1
            blocking = False
        out.append(finding.replace(blocking=blocking))
    for entry in active:
        if used[entry.index] == 0:
            notices.append(f"{entry.describe()} matched nothing: remove it if the finding "
                           "is gone")
    for rule_id, count in sorted(disabled.items()):
        notices.append(f"rule {rule_id} is disabled in the config: {count} finding(s) dropped")
    notices.extend(_class_notices(idioms, held, config))
    notices.extend(_new_suppressions(added, config))
    out.sort(key=Finding.sort_key)
    return _decide(tuple(out), list(scanners), config, notices)


def _class_notices(idioms: Counter[tuple[str, str]], held: Counter[str],
                   config: Config) -> list[str]:
    """What the path classes changed: test idioms not reported, findings held from blocking."""
    notices = []
    for path_class in filekinds.CLASSES:
        rules = sorted((r, n) for (c, r), n in idioms.items() if c == path_class)
        if rules:
            listed = ", ".join(f"{r} x{n}" for r, n in rules)
            notices.append(f"{sum(n for _, n in rules)} test idiom(s) not reported in "
                           f"{path_class} ({listed}): `classes.{path_class}.test-idioms: true` "
                           "reports them")
    if held:
        where = ", ".join(f"{n} in {c}" for c in filekinds.CLASSES if (n := held[c]))
        threshold = config.fail_on.label if config.fail_on is not None else "never"
        notices.append(f"{sum(held.values())} finding(s) at or above {threshold} do not block "
                       f"because of where they are ({where}): only vendor credentials and "
                       "advisories block outside product code (private keys too, except in "
                       "tests and fixtures) unless `classes.<class>.block: true`")
    return notices


def _new_suppressions(added: list[Finding], config: Config) -> list[str]:
    """The inline suppressions the judged change adds, by place (every report shows notices)."""
    if not added or config.new_inline_suppressions == "allow":
        return []
    places = ", ".join(f"{f.location.path}:{f.location.line or '?'} {f.scanner} {f.rule}"
                       for f in added[:20]) + (f" and {len(added) - 20} more"
                                               if len(added) > 20 else "")
    effect = ("not honoured (new-inline-suppressions: block)"
              if config.new_inline_suppressions == "block"
              else "honoured (new-inline-suppressions: report)")
    return [f"new suppressions: this change adds {len(added)} inline suppression(s), "
            f"{effect}: {places}"]


def _blocks_in(finding: Finding, path_class: str) -> bool:
    """True when the finding's kind blocks in this class whatever the class's policy."""
    tags = set(finding.tags)
    return bool(BLOCK_IN_EVERY_CLASS & tags) or (
        bool(BLOCK_OUTSIDE_TESTS & tags) and path_class not in TEST_CLASSES)


def _blocks(finding: Finding, config: Config) -> bool:
    if finding.suppressed or finding.new is False or config.fail_on is None:
        return False
    return finding.severity >= config.fail_on and finding.confidence >= config.min_confidence


def _decide(findings: tuple[Finding, ...], scanners: list[ScannerResult], config: Config,
            notices: list[str]) -> Verdict:
    reasons: list[str] = []
    failed = [s for s in scanners if s.status is Status.ERROR]
    blocking = sum(1 for f in findings if f.blocking)
    for result in failed:
        reasons.append(f"scanner {result.name} could not complete: {result.message}")
    if blocking:
        threshold = config.fail_on.label if config.fail_on is not None else "never"
        reasons.append(f"{blocking} blocking finding(s) at or above {threshold} "
                       f"(confidence {config.min_confidence.label} or higher)")
    if failed and config.on_scanner_error == "fail":
        code = EXIT_SCANNER_ERROR
    elif blocking:
        code = EXIT_FAILED
    else:
        code = EXIT_PASSED
        if failed:
            notices.append("on-scanner-error is 'warn': the gate passed although "
                           f"{len(failed)} scanner(s) did not complete")
    return Verdict(findings, code == EXIT_PASSED, code, tuple(reasons), tuple(notices))
