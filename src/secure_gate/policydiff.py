"""What a change does to the gate's policy: each edit of config, ledger or baseline, judged."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from secure_gate.config import INLINE_CHOICES, Config, LedgerEntry
from secure_gate.model import PolicyChange, Severity


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """A config file as found in one tree: its repo-relative name and text (None: defaults)."""

    config: Config
    name: str | None = None
    text: str | None = None
    toml: bool = False


Key = tuple[str | int, ...]


def _fail_rank(value: Severity | None) -> int:
    return int(Severity.CRITICAL) + 1 if value is None else int(value)


def _fail_label(value: Severity | None) -> str:
    return "never" if value is None else value.label


def _effect(looser: bool, tighter: bool) -> str:
    return "relaxes" if looser else "tightens" if tighter else "changes"


def _entry_key(entry: LedgerEntry) -> tuple[str | None, ...]:
    return (entry.fingerprint, entry.rule, entry.path, entry.advisory)


def _entry_text(entry: LedgerEntry) -> str:
    what = entry.describe().split(" ", 1)[1].strip("()")
    until = f", until {entry.expires.isoformat()}" if entry.expires else ""
    return f"{what} ({entry.reason}{until})"


def _show(value: object) -> str:
    if value is None:
        return "default"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def compare(base: PolicyFile, head: PolicyFile) -> list[PolicyChange]:
    """Every difference between the base's policy and the change's, in the config's order."""
    b, h = base.config, head.config
    path = head.name or base.name
    out: list[PolicyChange] = []
    find = _line_finder(head)

    def add(key: Key, before: str, after: str, effect: str) -> None:
        shown = "".join(f"[{k}]" if isinstance(k, int) else ("." if i else "") + k
                        for i, k in enumerate(key))
        out.append(PolicyChange(shown, before, after, effect, path, find(key)))

    if b.fail_on != h.fail_on:
        add(("fail-on",), _fail_label(b.fail_on), _fail_label(h.fail_on),
            _effect(_fail_rank(h.fail_on) > _fail_rank(b.fail_on), True))
    if b.min_confidence != h.min_confidence:
        add(("min-confidence",), b.min_confidence.label, h.min_confidence.label,
            _effect(h.min_confidence > b.min_confidence, True))
    if b.on_scanner_error != h.on_scanner_error:
        add(("on-scanner-error",), b.on_scanner_error, h.on_scanner_error,
            _effect(h.on_scanner_error == "warn", True))
    if b.new_inline_suppressions != h.new_inline_suppressions:
        order = INLINE_CHOICES.index
        add(("new-inline-suppressions",), b.new_inline_suppressions, h.new_inline_suppressions,
            _effect(order(h.new_inline_suppressions) > order(b.new_inline_suppressions), True))
    if b.max_file_size != h.max_file_size:
        add(("max-file-size",), str(b.max_file_size), str(h.max_file_size),
            _effect(h.max_file_size < b.max_file_size, True))
    _lists(add, ("exclude",), b.exclude, h.exclude)
    _scanners(add, b, h)
    _rules(add, b, h)
    _ledger(add, b.suppressions, h.suppressions)
    if b.baseline != h.baseline:
        add(("baseline",), _show(b.baseline), _show(h.baseline), "changes")
    return out


Add = Callable[[Key, str, str, str], None]


def _lists(add: Add, key: Key, before: Sequence[Any], after: Sequence[Any]) -> None:
    """Entries added to an exclusion-like list relax it; entries removed tighten it."""
    for item in after:
        if item not in before:
            add(key, "", str(item), "relaxes")
    for item in before:
        if item not in after:
            add(key, str(item), "", "tightens")


def _scanners(add: Add, b: Config, h: Config) -> None:
    from secure_gate.scanners import SCANNERS, get

    for name in SCANNERS:
        if name not in b.scanners and name not in h.scanners:
            continue
        bs, hs = b.scanner(name), h.scanner(name)
        if bs.enabled != hs.enabled:
            add(("scanners", name, "enabled"), _show(bs.enabled), _show(hs.enabled),
                _effect(not hs.enabled, hs.enabled))
        default = get(name).default_timeout
        bt, ht = bs.timeout or default, hs.timeout or default
        if bt != ht:
            add(("scanners", name, "timeout"), f"{bt:g}", f"{ht:g}", _effect(ht < bt, ht > bt))
        _lists(add, ("scanners", name, "exclude"), bs.exclude, hs.exclude)
        for option in sorted(set(bs.options) | set(hs.options)):
            before, after = bs.options.get(option), hs.options.get(option)
            if before == after:
                continue
            key = ("scanners", name, option)
            if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
                _lists(add, key, before, after)
            else:
                add(key, _show(before), _show(after), "changes")


def _rules(add: Add, b: Config, h: Config) -> None:
    for rule in sorted(set(b.rules) | set(h.rules)):
        br, hr = b.rules.get(rule), h.rules.get(rule)
        b_on, h_on = br is None or br.enabled, hr is None or hr.enabled
        if b_on != h_on:
            add(("rules", rule, "enabled"), _show(b_on), _show(h_on), _effect(not h_on, h_on))
        bsev = br.severity if br is not None else None
        hsev = hr.severity if hr is not None else None
        if bsev != hsev:
            known = bsev is not None and hsev is not None
            add(("rules", rule, "severity"), bsev.label if bsev else "default",
                hsev.label if hsev else "default",
                _effect(known and hsev < bsev,  # type: ignore[operator]
                        known and hsev > bsev))  # type: ignore[operator]


def _ledger(add: Add, before: Sequence[LedgerEntry], after: Sequence[LedgerEntry]) -> None:
    old = {_entry_key(e): e for e in before}
    new = {_entry_key(e): e for e in after}
    for key, entry in new.items():
        previous = old.get(key)
        if previous is None:
            add(("suppressions", entry.index), "", _entry_text(entry), "relaxes")
        elif previous.expires != entry.expires:
            later = entry.expires is None or (previous.expires is not None
                                              and entry.expires > previous.expires)
            add(("suppressions", entry.index, "expires"), _show(previous.expires),
                _show(entry.expires), _effect(later, not later))
    for key, entry in old.items():
        if key not in new:
            add(("suppressions",), _entry_text(entry), "", "tightens")


def baseline_change(rel: str, before: Mapping[str, int], after: Mapping[str, int]
                    ) -> list[PolicyChange]:
    """A baseline that accepts more findings relaxes the gate; one that accepts fewer not."""
    more = sum(max(0, n - before.get(k, 0)) for k, n in after.items())
    fewer = sum(max(0, n - after.get(k, 0)) for k, n in before.items())
    out = []
    if more:
        out.append(PolicyChange(f"baseline {rel}", "", f"accepts {more} more finding(s)",
                                "relaxes", rel, None))
    if fewer:
        out.append(PolicyChange(f"baseline {rel}", f"accepts {fewer} finding(s) fewer", "",
                                "tightens", rel, None))
    return out


def _line_finder(file: PolicyFile) -> Callable[[Key], int | None]:
    """The 1-based line of a key in the change's config file (None when it is not there)."""
    text = file.text
    if text is None:
        return lambda key: None
    if file.toml:
        return lambda key: _toml_line(text, key)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lambda key: None

    def find(key: Key) -> int | None:
        node, line = root, None
        for part in key:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if k.value == part), None)
                if match is None:
                    return line
                line, node = match[0].start_mark.line + 1, match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                    and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    return find


def _toml_line(text: str, key: Key) -> int | None:
    """Best effort for pyproject.toml: the key's own line under our table, else the table."""
    names = [k for k in key if isinstance(k, str)]
    table_line = None
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[+\s*([^\]]+?)\s*\]+", line)
        if header:
            inside = header.group(1).replace('"', "").startswith("tool.secure-gate")
            if inside and table_line is None:
                table_line = number
            continue
        if inside and names and re.match(rf'\s*"?{re.escape(names[-1])}"?\s*=', line):
            return number
    return table_line
