"""The one engine: ``scan(request) -> Report`` (policy loaded, collected, compared, judged)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from secure_gate import baseline, cache, config, diff, files, git, history, run, shards, trusted
from secure_gate.config import Config
from secure_gate.errors import UsageError
from secure_gate.model import Report
from secure_gate.policy import NewInfo
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
        listing_is_git=request.listing_is_git,
        diff_base=request.diff_base,
        shard=request.shard,
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
    comparison = (diff.compare(policy.config, options, collected)
                  if options.diff_base is not None else None)
    collected, comparison = _with_history(request, policy.config, options, collected,
                                          comparison)
    report = _judge(policy, options, collected, comparison)
    if request.shard is not None:
        report = replace(report, shard=_payload(request, request.shard, policy, collected,
                                                comparison).to_json())
    return report


def _with_history(request: ScanRequest, policy: Config, options: run.RunOptions,
                  collected: run.Collected, comparison: diff.Comparison | None
                  ) -> tuple[run.Collected, diff.Comparison | None]:
    """Secrets in the change's earlier commits (secure_gate.history): ``pr`` in diff mode,
    ``all`` always; in a sharded run shard 1 scans the history (the merge drops repeats)."""
    mode = request.history or policy.history
    if mode == "off" or (comparison is None and mode != "all") or (
            request.shard is not None and request.shard[0] != 1):
        return collected, comparison
    base = (diff.resolve_base(options.root, options.diff_base)
            if mode == "pr" and options.diff_base else None)
    added = history.add(policy, options, collected, base=base)
    collected = replace(collected, results=added.results)
    if comparison is not None:
        comparison = replace(comparison, new={**comparison.new, **added.new})
    return collected, comparison


def _judge(policy: trusted.TrustedPolicy, options: run.RunOptions, collected: run.Collected,
           comparison: diff.Comparison | None,
           new: Mapping[str, NewInfo] | None = None,
           extra_notices: tuple[str, ...] = ()) -> Report:
    if comparison is not None:
        new, notices, lines = comparison.new, comparison.notices, comparison.changed_lines
        collected = diff.with_extra(collected, comparison.extra)
    else:
        notices, lines = extra_notices, None
    report = run.judge(policy.config, options, collected, new=new, notices=notices,
                       changed_lines=lines)
    return replace(report, policy_source=policy.source, policy_changes=policy.changes,
                   policy_in_effect=policy.source.startswith("the working tree"),
                   notices=(*policy.notices, *report.notices))


def _payload(request: ScanRequest, shard: tuple[int, int], policy: trusted.TrustedPolicy,
             collected: run.Collected, comparison: diff.Comparison | None
             ) -> shards.ShardPayload:
    """What ``merge`` needs of this shard: its results before judging, and who it is."""
    index, count = shard
    return shards.ShardPayload(
        shard=shards.Shard(index, count),
        commit=git.resolve_commit(request.root, "HEAD") if collected.fileset.in_git else None,
        listing=shards.listing_hash(collected.fileset.files, collected.fileset.stats),
        policy=shards.policy_hash(policy.config, policy.baseline),
        request=request.policy_inputs(),
        results=collected.results, files=collected.fileset.stats,
        new={k: (v.new, v.reason) for k, v in (comparison.new if comparison else {}).items()},
        changed_lines=comparison.changed_lines if comparison else None,
        notices=comparison.notices if comparison else ())


def merge(paths: Sequence[str], root: Path) -> Report:
    """One verdict from every shard's report: checked to be one scan of one commit, listing
    and policy (else exit 3), the policy applied once, over all the findings."""
    parts = [(path, shards.read(path)) for path in paths]
    shards.check(parts)
    payloads = [p for _, p in sorted(parts, key=lambda item: item[1].shard.index)]
    recorded = payloads[0].request
    request = ScanRequest(root=root, **{k: v for k, v in recorded.items()})
    policy = load_policy(request)
    if shards.policy_hash(policy.config, policy.baseline) != payloads[0].policy:
        raise shards.ShardError("the policy here differs from the one the shards were judged "
                                "by: merge in a checkout of the same commit, with the same "
                                "inputs")
    results = history.drop_repeats(shards.merge_results(payloads))
    fileset = files.FileSet(root, (), payloads[0].files, in_git=True)
    collected = run.Collected(fileset, results)
    options = run_options(request, policy.config, policy.baseline)
    new = {k: NewInfo(*v) for p in payloads for k, v in p.new.items()}
    lines: dict[str, frozenset[int]] | None = None
    if any(p.changed_lines is not None for p in payloads):
        lines = {}
        for p in payloads:
            lines.update(p.changed_lines or {})
    comparison = (diff.Comparison(new, tuple(dict.fromkeys(n for p in payloads
                                                         for n in p.notices)), lines or {})
                  if request.diff_base is not None else None)
    return _judge(policy, options, collected, comparison)
