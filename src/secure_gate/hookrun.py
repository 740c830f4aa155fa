"""The `hook` command: staged files (pre-commit framework or native hook) and pre-push."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from secure_gate import diff, git, run
from secure_gate.config import Config
from secure_gate.errors import EXIT_PASSED, GateError
from secure_gate.model import Report
from secure_gate.report.escape import terminal
from secure_gate.report.hook import render_hook
from secure_gate.workers.pool import WorkerPool

_ZERO = git.ZERO_SHA


def _emit(report: Report) -> int:
    sys.stdout.write(render_hook(report))
    sys.stdout.flush()
    return report.exit_code


def _options(args: argparse.Namespace, root: Path) -> tuple[Config, run.RunOptions]:
    from secure_gate import cli

    config = cli.load_config(args, root)
    scanner_options = {k: dict(v) for k, v in cli.scanner_options(args, root).items()}
    # The staged and pushed scans read a copy of the files elsewhere: paths in the config
    # (an offline advisory database) still mean the repository's own.
    db = config.scanner("pip-audit").options.get("advisory-db")
    if db and not os.path.isabs(db) and "pip-audit" not in scanner_options:
        scanner_options["pip-audit"] = {"advisory-db": str(root / db)}
    options = run.RunOptions(root=root, paths=tuple(args.paths), scanners=args.scanners,
                             jobs=args.jobs or (os.cpu_count() or 1),
                             scanner_options=scanner_options, cache_dir=cli.cache_dir(args),
                             baseline=cli.baseline_counts(args.baseline or config.baseline,
                                                          root))
    return config, options


def run_hook(args: argparse.Namespace, pool: WorkerPool | None = None) -> int:
    """Dispatch: files given by pre-commit, the index (``--staged``) or pushed refs."""
    if args.staged and args.pre_push:
        raise GateError("--staged and --pre-push do not go together")
    if args.staged:
        return _staged(args)
    if args.pre_push:
        return _pre_push(args, sys.stdin.read())
    from secure_gate import cli

    return _emit(cli.run_scan(args, pool))


def _staged(args: argparse.Namespace) -> int:
    """Scan exactly what the commit will contain: the index blobs, not the work tree."""
    root = Path.cwd().resolve()
    config, options = _options(args, root)
    with tempfile.TemporaryDirectory(prefix="secure-gate-staged-") as tmp:
        staged = diff.materialise_index(root, Path(tmp))
        if args.paths:
            wanted = set(args.paths)
            staged = [p for p in staged if p in wanted]
        if not staged:
            print("secure-gate: nothing staged to scan")
            return EXIT_PASSED
        staged_run = replace(options, root=Path(tmp), listing=tuple(staged), paths=())
        return _emit(run.scan(config, staged_run))


def _pre_push(args: argparse.Namespace, refs: str) -> int:
    """For each pushed ref, scan its commit; only what is new since the remote's commit blocks."""
    root = Path.cwd().resolve()
    worst = EXIT_PASSED
    for line in refs.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        local_ref, local_sha, _remote_ref, remote_sha = parts
        if local_sha == _ZERO:
            continue  # a branch being deleted: nothing to scan
        base = remote_sha if remote_sha != _ZERO and git.has_commit(root, remote_sha) else None
        print(f"secure-gate: {terminal(local_ref)} at {local_sha[:12]}"
              + (f", new since {base[:12]}" if base else ", whole tree (no remote base)"))
        with tempfile.TemporaryDirectory(prefix="secure-gate-push-") as tmp:
            tree = Path(tmp) / "tree"
            git.worktree_add(root, tree, local_sha)
            try:
                config, options = _options(args, tree)
                push_run = replace(options, root=tree, paths=(), diff_base=base)
                code = _emit(run.scan(config, push_run))
            finally:
                git.worktree_remove(root, tree)
        worst = max(worst, code)
    return worst
