"""Run the enabled scanners concurrently, each with its timeout, and build the Report."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from secure_gate import __version__, files, policy
from secure_gate.config import Config
from secure_gate.errors import ScannerError
from secure_gate.model import Finding, Policy, Report, ScannerResult, Status, assign_fingerprints
from secure_gate.scanners import SCANNERS, get
from secure_gate.scanners.base import ScanJob, ScanOutcome

_GRACE_S = 10.0


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the command line (or the Action) asked for, beyond the config file."""

    root: Path
    paths: tuple[str, ...] = ()
    scanners: tuple[str, ...] | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    cache_dir: Path | None = None
    scanner_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    baseline: Mapping[str, int] | None = None
    repository_url: str | None = None
    commit: str | None = None
    listing: tuple[str, ...] | None = None
    diff_base: str | None = None


def selected_scanners(config: Config, chosen: Sequence[str] | None) -> list[str]:
    """Registered scanners that are enabled, narrowed to ``chosen`` when given."""
    names = list(SCANNERS)
    if chosen is not None:
        return [n for n in names if n in chosen]
    return [n for n in names if config.scanner(n).enabled]


def _run_one(name: str, job_factory: Callable[[], ScanJob], scanner_run: Callable[[ScanJob],
             ScanOutcome], timeout: float) -> tuple[Status, str | None, ScanOutcome, float]:
    """Run one scanner in a daemon thread so that a hung adapter cannot hang the gate."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["outcome"] = scanner_run(job_factory())
        except ScannerError as exc:
            box["error"] = str(exc)
        except Exception as exc:  # any crash is reported, never a pass
            box["error"] = f"crashed: {type(exc).__name__}: {exc}"

    start = time.monotonic()
    thread = threading.Thread(target=target, name=f"scanner-{name}", daemon=True)
    thread.start()
    thread.join(timeout + _GRACE_S)
    duration = time.monotonic() - start
    if thread.is_alive():
        return Status.ERROR, f"timed out after {timeout:g}s", ScanOutcome(), duration
    if "error" in box:
        return Status.ERROR, box["error"], ScanOutcome(), duration
    outcome: ScanOutcome = box["outcome"]
    if outcome.errors:
        shown = "; ".join(outcome.errors[:5])
        more = len(outcome.errors) - 5
        return (Status.ERROR, shown + (f"; and {more} more" if more > 0 else ""), outcome,
                duration)
    return Status.OK, None, outcome, duration


@dataclass(frozen=True, slots=True)
class Collected:
    """Every selected scanner's result over one walk, findings fingerprinted, not yet judged."""

    fileset: files.FileSet
    results: tuple[ScannerResult, ...]

    @property
    def findings(self) -> list[Finding]:
        """All findings of all scanners."""
        return [f for r in self.results for f in r.findings]


def collect(config: Config, options: RunOptions) -> Collected:
    """Walk the repository once and run every selected scanner concurrently."""
    fileset = files.collect(options.root, only=options.paths, exclude=config.exclude,
                            max_file_size=config.max_file_size, listing=options.listing)
    names = selected_scanners(config, options.scanners)
    results: dict[str, ScannerResult] = {}
    threads: list[threading.Thread] = []

    def work(name: str) -> None:
        scanner = get(name)
        settings = config.scanner(name)
        scanner_options = {**settings.options, **options.scanner_options.get(name, {})}
        timeout = settings.timeout or scanner.default_timeout
        version = scanner.version()
        chosen = scanner.select(fileset, scanner_options)
        if not chosen and not getattr(scanner, "runs_without_files", False):
            results[name] = ScannerResult(name, version, Status.SKIPPED,
                                          "no files for this scanner", 0.0)
            return

        def job() -> ScanJob:
            return ScanJob(root=fileset.root, files=chosen, fileset=fileset,
                           options=scanner_options, jobs=max(1, options.jobs),
                           deadline=time.monotonic() + timeout, cache_dir=options.cache_dir)

        status, message, outcome, duration = _run_one(name, job, scanner.scan, timeout)
        results[name] = ScannerResult(
            name=name, version=version, status=status, message=message,
            duration_s=round(duration, 3), findings=tuple(outcome.findings),
            files_scanned=outcome.files_scanned, notes=tuple(outcome.notes),
            stats=tuple(sorted(outcome.stats.items())),
        )

    for name in names:
        thread = threading.Thread(target=work, args=(name,), name=f"run-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()

    ordered: list[ScannerResult] = []
    for name in SCANNERS:
        if name in results:
            result = results[name]
            ordered.append(replace(result, findings=tuple(assign_fingerprints(result.findings))))
        elif name not in names:
            why = ("not selected (--scanners)" if options.scanners is not None
                   else "disabled in the config")
            ordered.append(ScannerResult(name, get(name).version(), Status.SKIPPED, why, 0.0))
    return Collected(fileset, tuple(ordered))


def judge(config: Config, options: RunOptions, collected: Collected, *,
          new: Mapping[str, policy.NewInfo] | None = None,
          notices: Sequence[str] = ()) -> Report:
    """Apply the policy to collected findings and build the Report."""
    verdict = policy.evaluate(collected.findings, collected.results, config,
                              today=options.today, baseline=options.baseline, new=new)
    final = tuple(replace(r, findings=tuple(f for f in verdict.findings if f.scanner == r.name))
                  for r in collected.results)
    return Report(
        tool_version=__version__,
        policy=Policy(config.fail_on, config.min_confidence, config.on_scanner_error),
        scanners=final,
        findings=verdict.findings,
        files=collected.fileset.stats,
        passed=verdict.passed,
        exit_code=verdict.exit_code,
        reasons=verdict.reasons,
        notices=(*notices, *verdict.notices),
        repository_url=options.repository_url,
        commit=options.commit,
        diff_base=options.diff_base,
    )


def scan(config: Config, options: RunOptions) -> Report:
    """Collect and judge; in diff mode, compare with the same scan of the base commit."""
    collected = collect(config, options)
    if options.diff_base is None:
        return judge(config, options, collected)
    from secure_gate import diff

    comparison = diff.compare(config, options, collected)
    return judge(config, options, collected, new=comparison.new, notices=comparison.notices)
