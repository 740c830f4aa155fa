"""One finding per problem: findings that scanners declare the same are merged after collection.

A scanner declares ``same_as = {rule: ((other_scanner, other_rule), ...)}``: its finding of
``rule`` and the other scanner's finding of ``other_rule`` in the same file are one problem
when they are on the same line, or when the other finding's line lies inside this finding's
span (a workflow-wide finding and a rule reported at the workflow's ``on:`` line). The
merge keeps the other scanner's finding, so its fingerprint (and any baseline or ledger
entry) is the same whether or not the declaring scanner ran, with:

- the longer (richer) message of the two, and the fix, link and tags of both;
- the worse severity and the higher confidence, so merging never changes the verdict;
- the merged rule in ``aliases`` as ``scanner/rule``.

The declaring scanner's result notes how many of its findings were merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from secure_gate.model import Finding, ScannerResult

SameAs = Mapping[str, Sequence[tuple[str, str]]]


def _match(finding: Finding, candidates: Sequence[Finding]) -> int | None:
    """Index of the candidate on the finding's line, else of one inside its span."""
    line = finding.location.line
    if line is None:
        return None
    end = finding.location.end_line or line
    inside = None
    for index, other in enumerate(candidates):
        other_line = other.location.line
        if other_line == line:
            return index
        if inside is None and other_line is not None and line <= other_line <= end:
            inside = index
    return inside


def _merged(kept: Finding, gone: Finding) -> Finding:
    message = gone.message if len(gone.message) > len(kept.message) else kept.message
    alias = f"{gone.scanner}/{gone.rule}"
    return kept.replace(
        message=message, severity=max(kept.severity, gone.severity),
        confidence=max(kept.confidence, gone.confidence), fix=kept.fix or gone.fix,
        help_uri=kept.help_uri or gone.help_uri,
        tags=tuple(dict.fromkeys((*kept.tags, *gone.tags))),
        aliases=kept.aliases if alias in kept.aliases else (*kept.aliases, alias))


def merge(results: Sequence[ScannerResult], same_as: Mapping[str, SameAs]
          ) -> tuple[ScannerResult, ...]:
    """``results`` with each declared duplicate folded into the other scanner's finding."""
    findings = {r.name: list(r.findings) for r in results}
    merged_away: dict[str, int] = {}
    for name, declared in same_as.items():
        kept: list[Finding] = []
        for finding in findings.get(name, []):
            targets = declared.get(finding.rule, ())
            done = False
            for scanner, rule in targets:
                pool = findings.get(scanner, [])
                candidates = [f for f in pool if f.rule == rule
                              and f.location.path == finding.location.path]
                index = _match(finding, candidates)
                if index is not None:
                    position = pool.index(candidates[index])
                    pool[position] = _merged(pool[position], finding)
                    done = True
                    break
            if done:
                merged_away[name] = merged_away.get(name, 0) + 1
            else:
                kept.append(finding)
        findings[name] = kept
    out = []
    for result in results:
        notes = result.notes
        if count := merged_away.get(result.name):
            notes = (*notes, f"{count} finding(s) also found by another scanner on the same "
                     "line: reported once, as that scanner's finding (see its aliases)")
        out.append(replace(result, findings=tuple(findings[result.name]), notes=notes))
    return tuple(out)
