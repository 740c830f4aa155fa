"""The practices rules (ids, titles, default severities, links) and how their findings are built."""

from __future__ import annotations

from dataclasses import dataclass

from secure_gate.model import Confidence, Finding, Location, Severity

SCANNER = "practices"
ENV_FILE_COMMITTED = "env-file-committed"
ENV_FILE_NOT_IGNORED = "env-file-not-ignored"
CREDENTIAL_LOGGED = "secret-logged"
ERROR_DETAILS_EXPOSED = "error-details-exposed"
FAST_HASH = "weak-password-hash"
DEBUG_IN_SETTINGS = "debug-in-settings"
CONTAINER_RUNS_AS_ROOT = "container-runs-as-root"
WORKFLOW_PERMISSIONS = "workflow-permissions"
SQL_STRING_BUILT = "sql-string-built"
TEMPLATE_UNESCAPED = "template-unescaped"
HTML_STRING_BUILT = "html-string-built"
TEMPLATE_INJECTION = "template-injection"

_OWASP = "https://cheatsheetseries.owasp.org/cheatsheets/"


@dataclass(frozen=True, slots=True)
class Rule:
    """A practices rule: its title, default severity, CWE and the practice it enforces."""

    id: str
    title: str
    severity: Severity
    cwe: int
    help_uri: str


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule(ENV_FILE_COMMITTED, "Environment file committed", Severity.HIGH, 538,
         _OWASP + "Secrets_Management_Cheat_Sheet.html"),
    Rule(ENV_FILE_NOT_IGNORED, ".env not in .gitignore", Severity.LOW, 538,
         _OWASP + "Secrets_Management_Cheat_Sheet.html"),
    Rule(CREDENTIAL_LOGGED, "Credential written to a log", Severity.MEDIUM, 532,
         _OWASP + "Logging_Cheat_Sheet.html#data-to-exclude"),
    Rule(ERROR_DETAILS_EXPOSED, "Exception details returned to the client", Severity.MEDIUM,
         209, _OWASP + "Error_Handling_Cheat_Sheet.html"),
    Rule(FAST_HASH, "Password hashed with a fast hash", Severity.HIGH, 916,
         _OWASP + "Password_Storage_Cheat_Sheet.html"),
    Rule(DEBUG_IN_SETTINGS, "Django DEBUG on in settings", Severity.MEDIUM, 489,
         "https://docs.djangoproject.com/en/stable/howto/deployment/checklist/#debug"),
    Rule(CONTAINER_RUNS_AS_ROOT, "Container runs as root", Severity.MEDIUM, 250,
         "https://docs.docker.com/build/building/best-practices/#user"),
    Rule(WORKFLOW_PERMISSIONS, "Workflow token permissions not limited", Severity.MEDIUM, 250,
         "https://docs.github.com/en/actions/security-guides/automatic-token-authentication"
         "#modifying-the-permissions-for-the-github_token"),
    Rule(SQL_STRING_BUILT, "SQL built with string formatting", Severity.HIGH, 89,
         _OWASP + "Query_Parameterization_Cheat_Sheet.html"),
    Rule(TEMPLATE_UNESCAPED, "Template output not escaped", Severity.HIGH, 79,
         _OWASP + "Cross_Site_Scripting_Prevention_Cheat_Sheet.html"),
    Rule(HTML_STRING_BUILT, "HTML built from the request with string formatting", Severity.HIGH,
         79, _OWASP + "Cross_Site_Scripting_Prevention_Cheat_Sheet.html#output-encoding"),
    Rule(TEMPLATE_INJECTION, "Template source built from input", Severity.HIGH, 1336,
         "https://owasp.org/www-project-web-security-testing-guide/latest/"
         "4-Web_Application_Security_Testing/07-Input_Validation_Testing/"
         "18-Testing_for_Server-side_Template_Injection"),
)}


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's raw result before ``# nosec`` is applied: where, what, and what to do.

    ``nosec_lines`` is the inclusive range of lines on which a ``# nosec`` comment counts.
    """

    rule: str
    line: int | None
    message: str
    evidence: str
    fix: str | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    confidence: Confidence = Confidence.HIGH
    nosec_lines: tuple[int, int] | None = None


def finding(path: str, hit: Hit) -> Finding:
    """The finding for ``hit`` in ``path``; evidence is code or a path, never a value read."""
    spec = RULES[hit.rule]
    end_column = hit.end_column
    if hit.end_line not in (None, hit.line) or (hit.column and end_column
                                                 and end_column < hit.column):
        end_column = None  # columns only describe a single-line span
    return Finding.create(
        scanner=SCANNER,
        rule=hit.rule,
        title=spec.title,
        severity=spec.severity,
        confidence=hit.confidence,
        location=Location(path, hit.line, hit.end_line or hit.line, hit.column, end_column),
        message=hit.message,
        evidence=f"{hit.rule}\n{hit.evidence}",
        help_uri=spec.help_uri,
        tags=("security", "practices", f"external/cwe/cwe-{spec.cwe}"),
        fix=hit.fix,
    )
