"""pip-audit on exact pins only: as few runs as duplicates allow, its JSON read strictly."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from secure_gate import _subprocess
from secure_gate.errors import ScannerError

Pin = tuple[str, Version]


@dataclass(frozen=True, slots=True)
class Service:
    """Where pip-audit gets vulnerability data: its argv and a name for messages."""

    argv: tuple[str, ...]
    label: str
    loopback: bool = False


@dataclass(frozen=True, slots=True)
class Vuln:
    """One advisory pip-audit reported for a pinned package."""

    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str


@dataclass(slots=True)
class Audit:
    """What pip-audit said about every pin: its advisories, or why it could not look."""

    vulns: dict[Pin, list[Vuln]] = field(default_factory=dict)
    skipped: dict[Pin, str] = field(default_factory=dict)
    runs: int = 0


def plan(pins: Iterable[Pin]) -> list[list[Pin]]:
    """Split distinct pins into the fewest runs with one version per package in each.

    pip-audit refuses a requirements file that pins one package to two versions, so the
    n-th version of every package goes into the n-th run; each pin is asked about once.
    """
    versions: dict[str, list[Version]] = {}
    for name, version in pins:
        known = versions.setdefault(name, [])
        if version not in known:
            known.append(version)
    runs: list[list[Pin]] = []
    for name in sorted(versions):
        for index, version in enumerate(sorted(versions[name])):
            if index == len(runs):
                runs.append([])
            runs[index].append((name, version))
    return runs


def _strings(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} is not a list of strings")
    return tuple(value)


def _merge(first: Vuln, second: Vuln) -> Vuln:
    """One advisory reported twice under the same id (two records that alias each other,
    such as a GHSA record naming its PYSEC twin): one finding, with everything both say."""
    return Vuln(first.id, tuple(dict.fromkeys((*first.aliases, *second.aliases))),
                tuple(dict.fromkeys((*first.fix_versions, *second.fix_versions))),
                first.description or second.description)


def parse_report(document: object, asked: Sequence[Pin]) -> Audit:
    """Read one pip-audit JSON report about ``asked``; ``ValueError`` on any surprise.

    Every pin asked about must come back, either with its advisories or with pip-audit's
    reason for skipping it: a pin that silently went missing would read as clean.
    """
    if not isinstance(document, dict) or not isinstance(document.get("dependencies"), list):
        raise ValueError("no 'dependencies' list")
    by_name = {name: version for name, version in asked}
    audit = Audit(runs=1)
    for dep in document["dependencies"]:
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
            raise ValueError("a dependency without a name")
        name = canonicalize_name(dep["name"])
        if name not in by_name:
            raise ValueError(f"a result for {name!r}, which was not asked about")
        pin = (name, by_name[name])
        if "skip_reason" in dep:
            audit.skipped[pin] = str(dep["skip_reason"])
            continue
        try:
            reported = Version(str(dep.get("version")))
        except InvalidVersion:
            raise ValueError(f"{name}: version {dep.get('version')!r} is not PEP 440") from None
        if reported != pin[1]:
            raise ValueError(f"{name}: reported version {reported}, asked about {pin[1]}")
        vulns = dep.get("vulns")
        if not isinstance(vulns, list):
            raise ValueError(f"{name}: no 'vulns' list")
        found: dict[str, Vuln] = {}
        for vuln in vulns:
            if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
                raise ValueError(f"{name}: an advisory without an id")
            item = Vuln(vuln["id"], _strings(vuln.get("aliases", []), "aliases"),
                        _strings(vuln.get("fix_versions", []), "fix_versions"),
                        str(vuln.get("description") or ""))
            found[item.id] = _merge(found[item.id], item) if item.id in found else item
        audit.vulns[pin] = list(found.values())
    missing = [f"{n} {v}" for n, v in asked if (n, v) not in audit.vulns
               and (n, v) not in audit.skipped]
    if missing:
        raise ValueError(f"no result for {', '.join(missing)}")
    return audit


def _env(service: Service) -> dict[str, str]:
    extra: dict[str, str] = {}
    if service.loopback:
        # A proxy from the environment must never see (or break) the loopback server.
        bypass = ",".join(filter(None, (os.environ.get("NO_PROXY"), "127.0.0.1,localhost")))
        extra = {"NO_PROXY": bypass, "no_proxy": bypass}
    return _subprocess.tool_env(extra)


def run_once(pins: Sequence[Pin], service: Service, *, timeout: float, service_timeout: int,
             cache_dir: Path | None) -> Audit:
    """One pip-audit process over ``pins`` (written as ``name==version`` lines only)."""
    with tempfile.TemporaryDirectory(prefix="secure-gate-pip-audit-") as tmp:
        work = Path(tmp)
        requirements = work / "pins.txt"
        requirements.write_text("".join(f"{n}=={v}\n" for n, v in pins), encoding="utf-8")
        report = work / "report.json"
        argv = [*_subprocess.python_module("pip_audit"), "--disable-pip", "--no-deps",
                "-r", str(requirements), "-f", "json", "-o", str(report),
                "--progress-spinner", "off", "--desc", "on", "--aliases", "on",
                "--timeout", str(service_timeout), *service.argv]
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            argv += ["--cache-dir", str(cache_dir)]
        try:
            # cwd is the private folder: nothing of the repository is in reach.
            done = _subprocess.run(argv, cwd=work, timeout=timeout, env=_env(service))
        except _subprocess.ToolFailure as exc:
            raise ScannerError(f"pip-audit querying {service.label}: {exc}") from None
        return _read_report(report, done, pins, service)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:400] if lines else "no output"


def _read_report(report: Path, done: _subprocess.Completed, pins: Sequence[Pin],
                 service: Service) -> Audit:
    # Exit 1 means "vulnerable" and "failed" alike: only a complete JSON report tells.
    try:
        document: Any = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ScannerError(
            f"pip-audit could not audit against {service.label} (exit {done.returncode}, "
            f"no JSON report): {_last_line(done.stderr_text(4000))}") from None
    if done.returncode not in (0, 1):
        raise ScannerError(f"pip-audit exited {done.returncode} querying {service.label}: "
                           f"{_last_line(done.stderr_text(4000))}")
    try:
        audit = parse_report(document, pins)
    except ValueError as exc:
        raise ScannerError(f"pip-audit's JSON report from {service.label} is not "
                           f"usable: {exc}") from None
    vulnerable = any(audit.vulns.values())
    if vulnerable != (done.returncode == 1):
        raise ScannerError(f"pip-audit exited {done.returncode} but its report "
                           f"{'lists' if vulnerable else 'lists no'} vulnerabilities "
                           f"({service.label}): {_last_line(done.stderr_text(4000))}")
    return audit


def audit_all(pins: Iterable[Pin], service: Service, *, remaining: Callable[[], float],
              service_timeout: int, cache_dir: Path | None) -> Audit:
    """Every distinct pin audited once, over as many runs as duplicates need."""
    merged = Audit()
    for batch in plan(pins):
        part = run_once(batch, service, timeout=remaining(),
                        service_timeout=service_timeout, cache_dir=cache_dir)
        merged.vulns.update(part.vulns)
        merged.skipped.update(part.skipped)
        merged.runs += 1
    return merged
