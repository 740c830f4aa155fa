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

from secure_gate import __version__, cache, duplicates, filekinds, files, policy, shards
from secure_gate.config import Config
from secure_gate.errors import ScannerError
from secure_gate.globs import GlobSet
from secure_gate.model import Finding, Policy, Report, ScannerResult, Status, assign_fingerprints
from secure_gate.progress import Progress
from secure_gate.scanners import SCANNERS, get
from secure_gate.scanners.base import ScanJob, Scanner, ScanOutcome
from secure_gate.workers.pool import WorkerPool

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
    listing_is_git: bool = True  # False: a whole copy outside git (secure-gate fix)
    diff_base: str | None = None
    progress: Progress | None = None
    pool: WorkerPool | None = None  # workers already started (a hook); collect() closes it
    shard: tuple[int, int] | None = None  # (K, N): only this shard's part of the work


def selected_scanners(config: Config, chosen: Sequence[str] | None) -> list[str]:
    """Registered scanners that are enabled, narrowed to ``chosen`` when given."""
    names = list(SCANNERS)
    if chosen is not None:
        return [n for n in names if n in chosen]
    return [n for n in names if config.enabled(n)]


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


def _from_cache(scanner: Scanner, name: str, version: str | None,
                scanner_options: Mapping[str, Any], chosen: tuple[files.RepoFile, ...],
                options: RunOptions) -> tuple[cache.ResultCache | None, ScanOutcome,
                                              tuple[files.RepoFile, ...]]:
    """Split ``chosen`` into cached results and the files still to scan."""
    if options.cache_dir is None or not scanner.per_file:
        return None, ScanOutcome(), chosen
    secret = cache.load_key(cache.key_file(options.cache_dir, Path.cwd()))
    store = cache.ResultCache(options.cache_dir, name, version, scanner_options,
                              key=secret)
    cached = ScanOutcome()
    missing: list[files.RepoFile] = []
    for f in chosen:
        entry = store.get(f)
        if entry is None:
            missing.append(f)
            continue
        cached.findings.extend(entry.findings)
        cached.files_scanned += 1
        for key, value in entry.stats.items():
            cached.stats[key] = cached.stats.get(key, 0) + value
    return store, cached, tuple(missing)


def _store(store: cache.ResultCache, scanned: tuple[files.RepoFile, ...],
           outcome: ScanOutcome) -> None:
    """Cache each file that scanned cleanly (files named in errors are never cached)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in outcome.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    for f in scanned:
        if f.path in outcome.failed_paths:
            continue
        store.put(f, by_path.get(f.path, ()), outcome.file_stats.get(f.path, {}))


def worker_limits(names: Sequence[str], jobs: int) -> dict[str, int]:
    """Tools whose workers grow with what they parse run as many workers as fit in the
    machine's available memory at their measured peak (workers/sizing.py), by worker task."""
    from secure_gate.workers import sizing

    peaks = {str(s.worker): s.worker_peak_mb for n in names
             if (s := get(n)).worker and s.memory_heavy}
    return sizing.limits(peaks, jobs, sizing.available_memory_kb()) if peaks else {}


def worker_kinds(names: Sequence[str]) -> dict[str, str]:
    """The worker task of each selected scanner that runs in the pool: {task: scanner}."""
    return {str(s.worker): n for n in names if (s := get(n)).worker}


def _scan_one(name: str, config: Config, options: RunOptions, fileset: files.FileSet,
              pool: WorkerPool, progress: Progress, classes: filekinds.Classifier,
              lenient: frozenset[str], owned: frozenset[str] | None = None) -> ScannerResult:
    """One scanner over its share of the walk: cached files reused, the rest scanned."""
    scanner = get(name)
    settings = config.scanner(name)
    scanner_options = {**settings.options, **options.scanner_options.get(name, {})}
    timeout = settings.timeout or scanner.default_timeout
    version = scanner.version()
    chosen = scanner.select(fileset, scanner_options)
    if owned is not None and options.shard is not None:
        if not scanner.per_file and options.shard[0] != 1:
            # A repository-level scanner needs every file it reads at once: shard 1 runs it.
            return ScannerResult(name, version, Status.SKIPPED,
                                 f"runs in shard 1 of {options.shard[1]}", 0.0)
        if scanner.per_file:
            chosen = tuple(f for f in chosen if f.path in owned)
    skipped_here = 0
    if settings.exclude:
        own = GlobSet(settings.exclude)
        kept = tuple(f for f in chosen if not own.matches(f.path))
        skipped_here, chosen = len(chosen) - len(kept), kept
    if not chosen and not scanner.runs_without_files:
        return ScannerResult(name, version, Status.SKIPPED, "no files for this scanner", 0.0)
    store, cached, missing = _from_cache(scanner, name, version, scanner_options, chosen,
                                         options)
    progress.add(name, len(chosen), len(chosen) - len(missing))

    def job() -> ScanJob:
        return ScanJob(root=fileset.root, files=missing, fileset=fileset,
                       options=scanner_options, jobs=max(1, options.jobs),
                       deadline=time.monotonic() + timeout, cache_dir=options.cache_dir,
                       pool=pool, classes=classes, lenient=lenient)

    def scan_missing(job: ScanJob) -> ScanOutcome:
        if not job.files and store is not None:
            return ScanOutcome()
        fresh = scanner.scan(job)
        if store is not None:
            _store(store, job.files, fresh)
        return fresh

    status, message, outcome, duration = _run_one(name, job, scan_missing, timeout)
    progress.finish(name)  # in-process scanners (pins, practices, pip-audit) count here
    outcome = cached.merged(outcome)
    notes = [*outcome.notes, *scanner.describe(outcome.stats, fileset)]
    if store is not None and store.hits:
        notes.append(f"{store.hits} of {len(chosen)} file(s) from the result cache")
    if store is not None and not store.usable:
        notes.append("result cache not used: its key could not be created or is readable "
                     "by others (every file was scanned)")
    if store is not None and store.rejected:
        notes.append(f"{store.rejected} result-cache entr(y/ies) not written by secure-gate "
                     "(authentication failed): those files were scanned again")
    if skipped_here:
        notes.append(f"{skipped_here} file(s) skipped by scanners.{name}.exclude")
    return ScannerResult(
        name=name, version=version, status=status, message=message,
        duration_s=round(duration, 3), findings=tuple(outcome.findings),
        files_scanned=outcome.files_scanned, notes=tuple(notes),
        stats=tuple(sorted(outcome.stats.items())),
    )


def _start_pool(names: Sequence[str], options: RunOptions, progress: Progress) -> WorkerPool:
    """The workers: the hook's, already started, or a new pool sized for these scanners."""
    pool = options.pool or WorkerPool(options.root, max(1, options.jobs),
                                      limits=worker_limits(names, options.jobs))
    kinds = worker_kinds(names)
    if options.cache_dir is None and options.pool is None:
        # Without a cache every file needs the tools: workers start importing them now, in
        # parallel with the walk. With one, they start only if some file is not cached.
        pool.prestart(list(kinds))
    pool.progress = lambda kind, count: progress.advance(kinds.get(kind, kind), count)
    return pool


def collect(config: Config, options: RunOptions) -> Collected:
    """Walk the repository once and run every selected scanner concurrently."""
    names = selected_scanners(config, options.scanners)
    progress = options.progress or Progress(None)
    pool = _start_pool(names, options, progress)
    results: dict[str, ScannerResult] = {}
    try:
        fileset = files.collect(options.root, only=options.paths, exclude=config.exclude,
                                max_file_size=config.max_file_size, listing=options.listing,
                                listing_is_git=options.listing_is_git)

        classes = filekinds.Classifier(config.paths)
        lenient = frozenset(c for c, p in config.classes.items() if p.parse_errors == "notice")

        owned = None
        if options.shard is not None:
            index, count = options.shard
            owned = frozenset(p for p, k in shards.assign(fileset.files, count).items()
                              if k == index)

        def work(name: str) -> None:
            results[name] = _scan_one(name, config, options, fileset, pool, progress, classes,
                                      lenient, owned)

        threads = [threading.Thread(target=work, args=(name,), name=f"run-{name}", daemon=True)
                   for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:
        pool.terminate()  # interrupted (SIGINT, SIGTERM): no worker outlives the gate
        raise
    finally:
        pool.close()
    if options.cache_dir is not None:
        cache.prune(options.cache_dir)

    ordered: list[ScannerResult] = []
    for name in SCANNERS:
        if name in results:
            result = results[name]
            ordered.append(replace(result, findings=tuple(assign_fingerprints(result.findings))))
        elif name not in names:
            why = ("not selected (--scanners)" if options.scanners is not None
                   else "disabled in the config")
            ordered.append(ScannerResult(name, None, Status.SKIPPED, why, 0.0))
    # What each scanner says about itself that the renderers show, whatever its status.
    ordered = [replace(r, information_uri=(s := get(r.name)).information_uri,
                       inline_suppression=s.inline_suppression) for r in ordered]
    # One finding per problem: what the scanners declare the same is merged (duplicates.py).
    same_as = {n: get(n).same_as for n in names}
    return Collected(fileset, duplicates.merge(ordered, same_as))


def judge(config: Config, options: RunOptions, collected: Collected, *,
          new: Mapping[str, policy.NewInfo] | None = None,
          notices: Sequence[str] = (),
          changed_lines: Mapping[str, frozenset[int]] | None = None) -> Report:
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
        changed_lines=changed_lines,
        show=config.show,
    )

