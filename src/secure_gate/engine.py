"""The one engine: ``scan(request) -> Report`` (policy loaded, collected, compared, judged)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from secure_gate import baseline, cache, config, diff, run
from secure_gate.config import Config
from secure_gate.model import Report
from secure_gate.progress import Progress
from secure_gate.request import ScanRequest
from secure_gate.scanners import SCANNERS, scanner_class
from secure_gate.workers.pool import WorkerPool


def load_policy(request: ScanRequest) -> Config:
    """The config file's settings with the request's thresholds on top (flags win)."""
    home = request.origin or request.root
    loaded = config.load(home, request.config_file)
    fail_on, given = request.threshold()
    if given:
        loaded = replace(loaded, fail_on=fail_on)
    confidence = request.confidence()
    if confidence is not None:
        loaded = replace(loaded, min_confidence=confidence)
    return loaded


def _baseline(request: ScanRequest, policy: Config) -> dict[str, int] | None:
    path = request.baseline or policy.baseline
    if path is None:
        return None
    home = request.origin or request.root
    return dict(baseline.load(path if os.path.isabs(path) else str(home / path)))


def _scanner_options(request: ScanRequest, policy: Config) -> dict[str, dict[str, Any]]:
    """Flag-set options on top of the file's; paths made the repository's own when the scan
    reads a copy of it elsewhere."""
    out = {name: dict(opts) for name, opts in request.scanner_options.items()}
    if request.origin is None:
        return out
    for name in SCANNERS:
        if not policy.enabled(name):
            continue
        cls = scanner_class(name)
        merged = {**policy.scanner(name).options, **out.get(name, {})}
        resolved = cls.resolve_paths(merged, request.origin)
        changed = {k: v for k, v in resolved.items() if merged.get(k) != v}
        if changed:
            out.setdefault(name, {}).update(changed)
    return out


def run_options(request: ScanRequest, policy: Config, *,
                progress: Progress | None = None, pool: WorkerPool | None = None
                ) -> run.RunOptions:
    """What the runner needs, from the request and its policy."""
    return run.RunOptions(
        root=request.root,
        paths=request.paths,
        scanners=request.scanners,
        jobs=request.workers(),
        cache_dir=request.cache_dir,
        scanner_options=_scanner_options(request, policy),
        today=request.today,
        baseline=_baseline(request, policy),
        repository_url=request.repository_url,
        commit=request.commit,
        listing=request.listing,
        diff_base=request.diff_base,
        progress=progress,
        pool=pool,
    )


def scan(request: ScanRequest, *, progress: Progress | None = None,
         pool: WorkerPool | None = None) -> Report:
    """Collect and judge; in diff mode, compare with the same scan of the base commit."""
    if request.cache_dir is not None:
        cache.check_folder(request.cache_dir, request.origin or request.root)
    policy = load_policy(request)
    options = run_options(request, policy, progress=progress, pool=pool)
    collected = run.collect(policy, options)
    if options.diff_base is None:
        return run.judge(policy, options, collected)
    comparison = diff.compare(policy, options, collected)
    return run.judge(policy, options, collected, new=comparison.new,
                     notices=comparison.notices, changed_lines=comparison.changed_lines)

