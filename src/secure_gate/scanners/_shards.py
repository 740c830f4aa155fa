"""Split a file list into balanced shards and run one tool process per shard."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from secure_gate.files import RepoFile

T = TypeVar("T")
R = TypeVar("R")

# Below this many bytes per shard, another process costs more (interpreter and plugin
# start-up) than it saves.
MIN_SHARD_BYTES = 256 * 1024
# Keep each argv well under the kernel's limit (ARG_MAX is usually 2 MiB).
MAX_ARGV_BYTES = 96 * 1024


def shard(files: Sequence[RepoFile], jobs: int, *,
          min_bytes: int = MIN_SHARD_BYTES) -> list[list[RepoFile]]:
    """Balance files by size over at most ``jobs`` shards (largest first, to the lightest)."""
    total = sum(max(f.size, 1) for f in files)
    count = max(1, min(jobs, len(files), total // max(min_bytes, 1)))
    heap: list[tuple[int, int]] = [(0, i) for i in range(count)]
    shards: list[list[RepoFile]] = [[] for _ in range(count)]
    for f in sorted(files, key=lambda f: (-f.size, f.path)):
        load, index = heapq.heappop(heap)
        shards[index].append(f)
        heapq.heappush(heap, (load + max(f.size, 1), index))
    out: list[list[RepoFile]] = []
    for group in shards:
        out.extend(split_for_argv(sorted(group, key=lambda f: f.path)))
    return [g for g in out if g]


def split_for_argv(files: Sequence[RepoFile]) -> list[list[RepoFile]]:
    """Cut a list so that no single command line grows past :data:`MAX_ARGV_BYTES`."""
    out: list[list[RepoFile]] = [[]]
    size = 0
    for f in files:
        cost = len(f.path.encode("utf-8", "surrogateescape")) + 3
        if out[-1] and size + cost > MAX_ARGV_BYTES:
            out.append([])
            size = 0
        out[-1].append(f)
        size += cost
    return out


def run_all(tasks: Sequence[T], work: Callable[[T], R], jobs: int) -> list[R]:
    """Run ``work`` over ``tasks`` with at most ``jobs`` at once, results in task order."""
    if len(tasks) <= 1:
        return [work(t) for t in tasks]
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks)))) as pool:
        return list(pool.map(work, tasks))
