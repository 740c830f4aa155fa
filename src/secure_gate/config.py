"""Configuration: discovery, parsing and validation with errors that name file, key and fix."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from secure_gate import configkeys as keys
from secure_gate import filekinds
from secure_gate import options as opt
from secure_gate.errors import ConfigError
from secure_gate.globs import compile_glob
from secure_gate.model import Confidence, Severity

CONFIG_NAMES = (".secure-gate.yml", ".secure-gate.yaml")
FAIL_ON_CHOICES = keys.FAIL_ON_CHOICES
DEFAULT_MAX_FILE_SIZE = keys.DEFAULT_MAX_FILE_SIZE


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    """One scanner's settings: on or off, its timeout, and its own validated options."""

    enabled: bool = True
    timeout: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()  # globs only this scanner skips (on top of `exclude`)


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """A per-rule override: a different severity, or the rule switched off."""

    severity: Severity | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ClassPolicy:
    """What findings in one path class do: block, report bandit's test idioms, and whether
    a manifest there that cannot be parsed fails the gate or is a notice."""

    block: bool = True
    test_idioms: bool = True
    parse_errors: str = "fail"  # fail | notice


# Tests, docs, examples, test data, vendored and generated files are not the product: only
# vendor credentials and advisories block there (policy.BLOCK_IN_EVERY_CLASS).
DEFAULT_CLASSES: Mapping[str, ClassPolicy] = {
    filekinds.PRODUCT: ClassPolicy(),
    filekinds.TESTS: ClassPolicy(block=False, test_idioms=False, parse_errors="notice"),
    filekinds.FIXTURES: ClassPolicy(block=False, test_idioms=False, parse_errors="notice"),
    **{c: ClassPolicy(block=False) for c in (filekinds.DOCS, filekinds.EXAMPLES,
                                             filekinds.VENDORED, filekinds.GENERATED)},
}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A suppression: what it matches, why, until when and who owns it."""

    reason: str
    fingerprint: str | None = None
    rule: str | None = None
    path: str | None = None
    advisory: str | None = None
    expires: dt.date | None = None
    owner: str | None = None
    index: int = 0

    def describe(self) -> str:
        """How the entry reads in a report."""
        if self.fingerprint:
            what = f"fingerprint {self.fingerprint}"
        elif self.advisory:
            what = f"advisory {self.advisory}"
        else:
            what = f"rule {self.rule}" + (f" in {self.path}" if self.path else "")
        return f"suppressions[{self.index}] ({what})"


@dataclass(frozen=True, slots=True)
class Config:
    """The validated configuration the rest of the gate reads."""

    source: str | None = None
    fail_on: Severity | None = Severity.HIGH
    min_confidence: Confidence = Confidence.MEDIUM
    on_scanner_error: str = "fail"
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    scanners: Mapping[str, ScannerConfig] = field(default_factory=dict)
    rules: Mapping[str, RuleConfig] = field(default_factory=dict)
    suppressions: tuple[LedgerEntry, ...] = ()
    baseline: str | None = None
    # Globs per path class, replacing that class's defaults (filekinds.DEFAULT_PATHS).
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    classes: Mapping[str, ClassPolicy] = field(default_factory=lambda: dict(DEFAULT_CLASSES))
    new_inline_suppressions: str = "report"
    history: str = "pr"  # which commits' blobs are scanned for secrets (secure_gate.history)
    show: str = "all"  # what the text and markdown reports list (report/sections.py)

    def scanner(self, name: str) -> ScannerConfig:
        """The settings of one scanner (defaults when the file says nothing of it)."""
        return self.scanners.get(name) or ScannerConfig(options=_default_options(name))

    def enabled(self, name: str) -> bool:
        """Whether a scanner runs (without importing it to compute its defaults)."""
        return self.scanners[name].enabled if name in self.scanners else True



def parse_fail_on(value: str) -> Severity | None:
    """``never`` or a severity label."""
    if value == "never":
        return None
    if value not in FAIL_ON_CHOICES:
        raise ValueError(f"expected one of {', '.join(FAIL_ON_CHOICES)}, got {value!r}")
    return Severity.parse(value)


def _default_options(name: str) -> dict[str, Any]:
    from secure_gate.scanners import SCANNERS, scanner_class

    if name not in SCANNERS:
        return {}
    return {k: o.default for k, o in scanner_class(name).options.items()}


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one."""


def _mapping_no_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                              _mapping_no_duplicates)


def _read(path: Path, shown: str) -> Mapping[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(shown, None, f"cannot read the file: {exc}") from None
    return parse_document(text, toml=path.suffix == ".toml", shown=shown)


def parse_document(text: str, *, toml: bool, shown: str) -> Mapping[str, Any] | None:
    """A config file's text as a mapping (None: a pyproject.toml without our table)."""
    if toml:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(shown, None, f"not valid TOML: {exc}") from None
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(shown, "tool", f"expected a table, got {opt.describe(tool)}")
        table = tool.get("secure-gate")
        if table is None:
            return None
        return _as_mapping(table, shown, "[tool.secure-gate]")
    try:
        # _StrictLoader is a SafeLoader subclass: no object construction.
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506  # nosec B506
    except yaml.YAMLError as exc:
        raise ConfigError(shown, None, f"not valid YAML: {exc}") from None
    if document is None:
        return {}
    return _as_mapping(document, shown, None)


def _as_mapping(value: object, source: str, key: str | None) -> Mapping[str, Any]:
    try:
        return opt.mapping(value)
    except opt.OptionError as exc:
        raise ConfigError(source, key, str(exc)) from None


def discover(root: Path) -> tuple[Path, str] | None:
    """The config file for the repository at ``root``, if any."""
    present = [root / n for n in CONFIG_NAMES if (root / n).is_file()]
    if len(present) > 1:
        raise ConfigError(present[1].name, None,
                          f"both {present[0].name} and {present[1].name} exist; keep one")
    if present:
        return present[0], present[0].name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return pyproject, "pyproject.toml"
    return None


def load(root: Path, explicit: str | None = None) -> Config:
    """Find, read and validate the configuration for ``root`` (or the ``--config`` file)."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(explicit, None, "no such file")
        raw = _read(path, explicit)
        if raw is None:
            raise ConfigError(explicit, None, "has no [tool.secure-gate] table")
        return validate(raw, explicit)
    found = discover(root)
    if found is None:
        return validate({}, None)
    path, shown = found
    raw = _read(path, shown)
    if raw is None:  # a pyproject.toml without our table
        return validate({}, None)
    return validate(raw, shown + (" [tool.secure-gate]" if path.suffix == ".toml" else ""))


_TOP_KEYS = keys.TOP_KEYS  # each key's option and help: configkeys.py (the README's table)
INLINE_CHOICES = ("allow", "report", "block")


def validate(raw: Mapping[str, Any], source: str | None) -> Config:
    """Check every key and value; the first problem raises :class:`ConfigError`."""
    shown = source or "<defaults>"

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(shown, key, problem)

    for key in raw:
        if key not in _TOP_KEYS:
            raise fail(key, f"unknown key (allowed: {', '.join(_TOP_KEYS)})")

    def get(key: str, option: opt.Option) -> Any:
        if key not in raw:
            return option.default
        try:
            return option.parse(raw[key])
        except opt.OptionError as exc:
            raise fail(key, str(exc)) from None

    fail_on_label = get("fail-on", keys.TOP["fail-on"])
    confidence = get("min-confidence", keys.TOP["min-confidence"])
    config = Config(
        source=source,
        fail_on=parse_fail_on(fail_on_label),
        min_confidence=Confidence.parse(confidence),
        on_scanner_error=get("on-scanner-error", keys.TOP["on-scanner-error"]),
        exclude=get("exclude", keys.TOP["exclude"]),
        max_file_size=int(get("max-file-size", keys.TOP["max-file-size"])),
        scanners=_scanners(raw.get("scanners", {}), fail),
        rules=_rules(raw.get("rules", {}), fail),
        suppressions=_ledger(raw.get("suppressions", []), fail),
        baseline=get("baseline", keys.TOP["baseline"]),
        show=get("show", keys.TOP["show"]),
        history=get("history", keys.TOP["history"]),
        paths=_paths(raw.get("paths", {}), fail),
        classes=_classes(raw.get("classes", {}), fail),
        new_inline_suppressions=get("new-inline-suppressions",
                                    keys.TOP["new-inline-suppressions"]),
    )
    return config


def _scanners(value: object, fail: Any) -> dict[str, ScannerConfig]:
    from secure_gate.scanners import SCANNERS, scanner_class

    try:
        table = opt.mapping(value)
    except opt.OptionError as exc:
        raise fail("scanners", str(exc)) from None
    out: dict[str, ScannerConfig] = {}
    for name, body in table.items():
        where = f"scanners.{name}"
        if name not in SCANNERS:
            raise fail(where, f"unknown scanner (known: {', '.join(SCANNERS)})")
        cls = scanner_class(name)
        defaults = {k: o.default for k, o in cls.options.items()}
        if isinstance(body, bool):
            out[name] = ScannerConfig(enabled=body, options=defaults)
            continue
        try:
            section = opt.mapping(body)
        except opt.OptionError as exc:
            raise fail(where, f"{exc} (or true/false)") from None
        allowed = (*keys.SCANNER_KEYS, *cls.options)
        enabled, timeout, chosen = True, None, dict(defaults)
        excluded: tuple[str, ...] = ()
        for key, item in section.items():
            try:
                if key == "enabled":
                    enabled = keys.SCANNER_KEYS["enabled"].parse(item)
                elif key == "timeout":
                    timeout = float(keys.SCANNER_KEYS["timeout"].parse(item))
                elif key == "exclude":
                    excluded = keys.SCANNER_KEYS["exclude"].parse(item)
                elif key in cls.options:
                    chosen[key] = cls.options[key].parse(item)
                else:
                    raise fail(f"{where}.{key}", f"unknown option (allowed: {', '.join(allowed)})")
            except opt.OptionError as exc:
                raise fail(f"{where}.{key}", str(exc)) from None
        problem = cls.check_options(chosen)
        if problem:
            raise fail(where, problem)
        out[name] = ScannerConfig(enabled=enabled, timeout=timeout, options=chosen,
                                  exclude=excluded)
    # Scanners the file does not mention get their defaults from Config.scanner(), lazily.
    return out


def _paths(value: object, fail: Any) -> dict[str, tuple[str, ...]]:
    try:
        table = opt.mapping(value)
    except opt.OptionError as exc:
        raise fail("paths", f"{exc} of path class to globs") from None
    out: dict[str, tuple[str, ...]] = {}
    for name, globs in table.items():
        if name not in filekinds.CLASSES:
            raise fail(f"paths.{name}", "unknown path class (allowed: "
                                        f"{', '.join(filekinds.CLASSES)})")
        try:
            out[name] = opt.string_list("", check=keys.check_glob).parse(globs)
        except opt.OptionError as exc:
            raise fail(f"paths.{name}", str(exc)) from None
    return out


def _classes(value: object, fail: Any) -> dict[str, ClassPolicy]:
    try:
        table = opt.mapping(value)
    except opt.OptionError as exc:
        raise fail("classes", f"{exc} of path class to its policy") from None
    out = dict(DEFAULT_CLASSES)
    for name, body in table.items():
        where = f"classes.{name}"
        if name not in filekinds.CLASSES:
            raise fail(where, f"unknown path class (allowed: {', '.join(filekinds.CLASSES)})")
        try:
            section = opt.mapping(body)
        except opt.OptionError as exc:
            raise fail(where, f"{exc} with {', '.join(keys.CLASS_KEYS)}") from None
        chosen = out[name]
        for key, item in section.items():
            if key not in keys.CLASS_KEYS:
                raise fail(f"{where}.{key}", f"unknown key (allowed: "
                                             f"{', '.join(keys.CLASS_KEYS)})")
            try:
                changes: dict[str, Any] = {key.replace("-", "_"): keys.CLASS_KEYS[key].parse(item)}
            except opt.OptionError as exc:
                raise fail(f"{where}.{key}", str(exc)) from None
            chosen = replace(chosen, **changes)
        out[name] = chosen
    return out


def _rules(value: object, fail: Any) -> dict[str, RuleConfig]:
    try:
        table = opt.mapping(value)
    except opt.OptionError as exc:
        raise fail("rules", str(exc)) from None
    out: dict[str, RuleConfig] = {}
    for rule, body in table.items():
        where = f"rules.{rule}"
        try:
            section = opt.mapping(body)
        except opt.OptionError as exc:
            raise fail(where, f"{exc} with 'severity' and/or 'enabled'") from None
        severity, enabled = None, True
        for key, item in section.items():
            if key == "severity":
                if not isinstance(item, str):
                    raise fail(f"{where}.severity", f"expected a severity label, got "
                                                    f"{opt.describe(item)}")
                try:
                    severity = Severity.parse(item)
                except ValueError as exc:
                    raise fail(f"{where}.severity", str(exc)) from None
            elif key == "enabled":
                try:
                    enabled = keys.RULE_KEYS["enabled"].parse(item)
                except opt.OptionError as exc:
                    raise fail(f"{where}.enabled", str(exc)) from None
            else:
                raise fail(f"{where}.{key}",
                           f"unknown key (allowed: {', '.join(keys.RULE_KEYS)})")
        out[rule] = RuleConfig(severity=severity, enabled=enabled)
    return out


_LEDGER_KEYS = tuple(keys.LEDGER)


def _ledger(value: object, fail: Any) -> tuple[LedgerEntry, ...]:
    if not isinstance(value, list):
        raise fail("suppressions", f"expected a list of entries, got {opt.describe(value)}")
    out = []
    for index, body in enumerate(value):
        where = f"suppressions[{index}]"
        try:
            entry = opt.mapping(body)
        except opt.OptionError as exc:
            raise fail(where, str(exc)) from None
        for key in entry:
            if key not in _LEDGER_KEYS:
                raise fail(f"{where}.{key}", f"unknown key (allowed: {', '.join(_LEDGER_KEYS)})")
        strings: dict[str, str | None] = {}
        for key in ("fingerprint", "rule", "path", "advisory", "reason", "owner"):
            item = entry.get(key)
            if item is not None and (not isinstance(item, str) or not item.strip()):
                raise fail(f"{where}.{key}", f"expected a non-empty string, got "
                                             f"{opt.describe(item)}")
            strings[key] = item
        if not strings["reason"]:
            raise fail(f"{where}.reason", "every suppression needs a reason")
        if not opt.visible(strings["reason"]):
            raise fail(f"{where}.reason", "a reason needs visible text (only spaces, "
                                          "zero-width or control characters were given)")
        targets = [k for k in ("fingerprint", "rule", "advisory") if strings[k]]
        if len(targets) != 1:
            raise fail(where, "name exactly one of fingerprint, rule (with an optional path "
                              "glob) or advisory")
        if strings["path"] and not strings["rule"]:
            raise fail(f"{where}.path", "a path glob goes with a rule")
        if strings["path"]:
            try:
                compile_glob(strings["path"])
            except ValueError as exc:
                raise fail(f"{where}.path", str(exc)) from None
        expires = None
        if "expires" in entry:
            try:
                expires = opt.date(entry["expires"])
            except opt.OptionError as exc:
                raise fail(f"{where}.expires", str(exc)) from None
        out.append(LedgerEntry(
            reason=str(strings["reason"]), fingerprint=strings["fingerprint"],
            rule=strings["rule"], path=strings["path"], advisory=strings["advisory"],
            expires=expires, owner=strings["owner"], index=index))
    return tuple(out)
