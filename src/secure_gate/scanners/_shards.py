"""Cut a scanner's files into batches for the worker pool, and gather the answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from secure_gate.errors import ScannerError
from secure_gate.files import RepoFile
from secure_gate.scanners.base import ScanJob, ScanOutcome
from secure_gate.workers.pool import WorkerError

# Small enough that the cores stay balanced to the end, large enough that a batch costs
# much more than its round trip to a worker.
MIN_BATCH_BYTES = 64 * 1024
MAX_BATCH_BYTES = 256 * 1024
MAX_BATCH_FILES = 400
_DONE: Future[dict[str, Any]] = Future()


def batches(files: Sequence[RepoFile], jobs: int) -> list[list[RepoFile]]:
    """Consecutive batches (in path order) of about total / (4 x jobs) bytes each."""
    total = sum(max(f.size, 1) for f in files)
    target = min(MAX_BATCH_BYTES, max(MIN_BATCH_BYTES, total // max(1, 4 * jobs)))
    out: list[list[RepoFile]] = [[]]
    size = 0
    for f in sorted(files, key=lambda f: f.path):
        if out[-1] and (size >= target or len(out[-1]) >= MAX_BATCH_FILES):
            out.append([])
            size = 0
        out[-1].append(f)
        size += max(f.size, 1)
    return [b for b in out if b]


def run_batches(job: ScanJob, kind: str, payload: Callable[[list[RepoFile]], dict[str, Any]],
                parse: Callable[[dict[str, Any], list[RepoFile]], ScanOutcome],
                tool: str) -> ScanOutcome:
    """Send every batch to the pool and merge the parsed answers; any failure fails closed."""
    if job.pool is None:
        raise ScannerError(f"{tool}: no worker pool (internal error)")
    pending: list[tuple[list[RepoFile], Future[dict[str, Any]]]] = []
    for batch in batches(job.files, job.jobs):
        pending.append((batch, job.pool.submit(kind, payload(batch), job.deadline,
                                               files=len(batch))))
    merged = ScanOutcome(files_scanned=len(job.files))
    try:
        for index, (batch, future) in enumerate(pending):
            try:
                document = future.result()
                # Let each answer go once parsed: a large repository's documents together
                # would be the biggest thing in the gate's own memory.
                pending[index] = (batch, _DONE)
            except WorkerError as exc:
                shown = ", ".join(f.path for f in batch[:3]) + (", ..." if len(batch) > 3 else "")
                raise ScannerError(f"{tool} failed on a batch of {len(batch)} file(s) "
                                   f"({shown}): {exc}") from None
            merged.add(parse(document, batch))
    finally:
        for _, future in pending:
            future.cancel()
    return merged
