"""The `hook` command: staged files (pre-commit framework or native hook) and pre-push."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from secure_gate import diff, engine, git
from secure_gate.errors import EXIT_PASSED
from secure_gate.model import Report
from secure_gate.progress import Progress
from secure_gate.report.escape import terminal
from secure_gate.report.hook import render_hook
from secure_gate.request import ScanRequest
from secure_gate.workers.pool import WorkerPool

_ZERO = git.ZERO_SHA


def _emit(report: Report) -> int:
    sys.stdout.write(render_hook(report))
    sys.stdout.flush()
    return report.exit_code


def named_files(request: ScanRequest, pool: WorkerPool | None = None) -> int:
    """The files pre-commit names (or none: the whole repository), terse output."""
    with Progress.for_terminal(sys.stderr) as progress:
        return _emit(engine.scan(request, progress=progress, pool=pool))


def staged(request: ScanRequest) -> int:
    """Scan exactly what the commit will contain: the index blobs, not the work tree."""
    root = request.root.resolve()
    with tempfile.TemporaryDirectory(prefix="secure-gate-staged-") as tmp:
        names = diff.materialise_index(root, Path(tmp))
        if request.paths:
            wanted = set(request.paths)
            names = [p for p in names if p in wanted]
        if not names:
            print("secure-gate: nothing staged to scan")
            return EXIT_PASSED
        # The copy is scanned; the policy and its paths are the repository's own.
        return _emit(engine.scan(replace(request, root=Path(tmp), origin=root,
                                         listing=tuple(names), paths=())))


def pre_push(request: ScanRequest, refs: str) -> int:
    """For each pushed ref, scan its commit; only what is new since the remote's commit blocks."""
    root = request.root.resolve()
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
                # The pushed commit is scanned with the policy it carries.
                code = _emit(engine.scan(replace(request, root=tree, paths=(),
                                                 diff_base=base, policy_from="head")))
            finally:
                git.worktree_remove(root, tree)
        worst = max(worst, code)
    return worst
