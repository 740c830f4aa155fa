"""ScanRequest: what one scan is asked to do, typed and frozen, built by each door once."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secure_gate import options as opt
from secure_gate.config import parse_fail_on
from secure_gate.errors import UsageError
from secure_gate.model import Confidence, Severity
from secure_gate.scanners import SCANNERS, scanner_class
from secure_gate.scanners.base import Flag


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """Everything a door asks of the engine; nothing here is read from the environment.

    ``root`` is the repository (or the copy of it being scanned); ``origin`` is the
    repository itself when ``root`` is a copy (staged files, a pushed commit), so that paths
    in the policy still mean the repository's own files.
    """

    root: Path
    paths: tuple[str, ...] = ()
    config_file: str | None = None
    scanners: tuple[str, ...] | None = None
    fail_on: str | None = None
    min_confidence: str | None = None
    diff_base: str | None = None
    baseline: str | None = None
    # Where the policy comes from when judging a change: "base" (the base commit's blobs, the
    # default with a diff base) or "head" (the change's own); ``policy_base`` names the commit
    # "base" reads when it is not the diff base (the Action: the pull request's base).
    policy_from: str | None = None
    policy_base: str | None = None
    history: str | None = None  # off, pr or all (None: the policy's `history`)
    # Scanner options set by flags or Action inputs: {scanner: {option: value}}, validated.
    scanner_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    jobs: int | None = None  # None: every core
    cache_dir: Path | None = None
    listing: tuple[str, ...] | None = None
    # False: ``listing`` is every file of the repository, copied outside git (secure-gate
    # fix), not some of them (a hook's staged files): checks of what is absent still hold.
    listing_is_git: bool = True
    origin: Path | None = None
    shard: tuple[int, int] | None = None  # (K, N): this run does shard K of N
    repository_url: str | None = None
    commit: str | None = None
    today: dt.date = field(default_factory=dt.date.today)

    def policy_inputs(self) -> dict[str, object]:
        """What decides the policy, recorded in a shard's report so that the merge judges by
        the same policy (and can tell when it would not)."""
        return {"config_file": self.config_file, "fail_on": self.fail_on,
                "min_confidence": self.min_confidence, "diff_base": self.diff_base,
                "baseline": self.baseline, "policy_from": self.policy_from,
                "policy_base": self.policy_base}

    def workers(self) -> int:
        """How many worker processes (every core unless the request says)."""
        return max(1, self.jobs or os.cpu_count() or 1)

    def threshold(self) -> tuple[Severity | None, bool]:
        """``fail_on`` as a severity (None: never) and whether it was given at all."""
        if self.fail_on is None:
            return None, False
        return parse_fail_on(self.fail_on), True

    def confidence(self) -> Confidence | None:
        """``min_confidence`` as a level, when given."""
        return Confidence.parse(self.min_confidence) if self.min_confidence else None


def cache_location(no_cache: bool, folder: str | None) -> Path | None:
    """Where per-file results are cached: None with no cache, else the folder or the default."""
    from secure_gate import cache

    if no_cache:
        return None
    return Path(folder) if folder else cache.default_dir()


def scanner_names(value: str) -> tuple[str, ...]:
    """A comma-separated scanner list, each a registered name (``ValueError`` otherwise)."""
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        raise ValueError("name at least one scanner")
    for name in names:
        if name not in SCANNERS:
            raise ValueError(f"unknown scanner {name!r} (known: {', '.join(SCANNERS)})")
    return names


def flags() -> dict[str, tuple[str, Flag]]:
    """Every scanner's flags by flag name: ``{flag name: (scanner name, Flag)}``."""
    out: dict[str, tuple[str, Flag]] = {}
    for name in SCANNERS:
        for flag_name, flag in scanner_class(name).flags.items():
            if flag_name in out:
                raise RuntimeError(f"flag --{flag_name} declared by two scanners")
            out[flag_name] = (name, flag)
    return out


def flag_options(values: Mapping[str, str | None], root: Path,
                 spelling: str = "--{}") -> dict[str, dict[str, Any]]:
    """Scanner options from flag values (``{"osv-url": "https://…"}``), validated.

    A flag replaces the options its scanner's ``Flag.replaces`` names (``--osv-url`` replaces
    the config's offline database). ``spelling`` turns a flag name into what the user typed
    (``--{}`` on the command line, ``input '{}'`` in the Action), for error messages.
    """
    known = flags()
    given = {k: v for k, v in values.items() if v is not None}
    by_scanner: dict[str, dict[str, Any]] = {}
    for flag_name, value in given.items():
        scanner, flag = known[flag_name]
        shown = spelling.format(flag_name)
        spec = scanner_class(scanner).options[flag.option]
        try:
            parsed = spec.parse(value)
        except opt.OptionError as exc:
            raise UsageError(f"{shown}: {exc}") from None
        by_scanner.setdefault(scanner, {})[flag.option] = parsed
    for scanner, chosen in by_scanner.items():
        problem = scanner_class(scanner).check_options(chosen)
        if problem:
            names = [spelling.format(f) for f, (s, _) in known.items()
                     if s == scanner and f in given]
            raise UsageError(f"{' and '.join(names)}: {problem}")
    for flag_name, value in given.items():
        scanner, flag = known[flag_name]
        path = Path(by_scanner[scanner][flag.option])
        if flag.must_exist and not (path if path.is_absolute() else root / path).exists():
            raise UsageError(f"{spelling.format(flag_name)} {value}: no such file or folder")
        for owner, flag in known.values():
            if owner == scanner and flag.option in chosen:
                for other in flag.replaces:
                    chosen.setdefault(other, None)
    return by_scanner
