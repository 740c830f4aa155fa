"""The one engine: ``scan(request) -> Report`` (policy loaded, collected, compared, judged)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from secure_gate import baseline, cache, config, diff, run, trusted
from secure_gate.config import Config
from secure_gate.errors import UsageError
from secure_gate.model import Report
from secure_gate.progress import Progress
from secure_gate.request import ScanRequest
from secure_gate.scanners import SCANNERS, scanner_class
from secure_gate.workers.pool import WorkerPool


def _thresholds(request: ScanRequest, loaded: Config) -> Config:
    """The request's thresholds win over the policy's."""
    fail_on, given = request.threshold()
    if given:
        loaded = replace(loaded, fail_on=fail_on)
    confidence = request.confidence()
    if confidence is not None:
        loaded = replace(loaded, min_confidence=confidence)
    return loaded


def load_policy(request: ScanRequest) -> trusted.TrustedPolicy:
    """The policy to judge by: the base commit's when judging a change (``policy_from``).

    A scan of a copy (the staged files) reads the repository's own working-tree policy.
    """
    if request.origin is not None:
        home = request.origin
        loaded = config.load(home, request.config_file)
        path = request.baseline or loaded.baseline
        return trusted.TrustedPolicy(
            _thresholds(request, loaded),
            dict(baseline.load(path, home)) if path is not None else None,
            "the working tree")
    root = request.root
    policy_from = request.policy_from or ("base" if request.diff_base else "head")
    ref = request.policy_base or request.diff_base
    if policy_from == "base" and request.policy_from and ref is None:
        raise UsageError("--policy-from base needs a base commit (--diff-base or --policy-base)")
    try:
        base = diff.resolve_base(root, ref, flag="--policy-base" if request.policy_base
                                 else "--diff-base") if ref else None
    except UsageError as exc:
        if policy_from != "base":
            raise
        raise UsageError(f"{exc}. The policy is read from the base commit so that a change "
                         "cannot relax it (--policy-from head, or the Action input "
                         "policy-from: head, reads the change's own)") from None
    policy = trusted.resolve(root, base=base, policy_from=policy_from,
                             explicit_config=request.config_file,
                             explicit_baseline=request.baseline)
    return replace(policy, config=_thresholds(request, policy.config))


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


def run_options(request: ScanRequest, policy: Config,
                accepted: Mapping[str, int] | None, *, progress: Progress | None = None,
                pool: WorkerPool | None = None) -> run.RunOptions:
    """What the runner needs, from the request and its policy."""
    return run.RunOptions(
        root=request.root,
        paths=request.paths,
        scanners=request.scanners,
        jobs=request.workers(),
        cache_dir=request.cache_dir,
        scanner_options=_scanner_options(request, policy),
        today=request.today,
        baseline=accepted,
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
    options = run_options(request, policy.config, policy.baseline, progress=progress,
                          pool=pool)
    collected = run.collect(policy.config, options)
    if options.diff_base is None:
        report = run.judge(policy.config, options, collected)
    else:
        comparison = diff.compare(policy.config, options, collected)
        report = run.judge(policy.config, options, collected, new=comparison.new,
                           notices=comparison.notices, changed_lines=comparison.changed_lines)
    return replace(report, policy_source=policy.source, policy_changes=policy.changes,
                   policy_in_effect=policy.source.startswith("the working tree"),
                   notices=(*policy.notices, *report.notices))
