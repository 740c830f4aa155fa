"""How many workers a memory-hungry tool may run at once: what fits in the machine's memory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# The share of the memory available at start that the gate's workers may take together: the
# rest is the gate's own, the other tools', and whatever else the runner does.
SHARE = 0.5
_MEMINFO = Path("/proc/meminfo")


def available_memory_kb(meminfo: Path = _MEMINFO) -> int | None:
    """Memory the kernel says can be used now without swapping, in KiB.

    ``MemAvailable`` (Linux 3.14+: free memory plus what reclaiming caches gives back), else
    the free physical pages ``sysconf`` reports, else all physical pages; None when neither
    can be read (then the caller decides without a memory bound).
    """
    try:
        for line in meminfo.read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    page = _sysconf("SC_PAGE_SIZE")
    for name in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        pages = _sysconf(name)
        if page and pages:
            return page * pages // 1024
    return None


def _sysconf(name: str) -> int | None:
    try:
        value = os.sysconf(name)
    except (ValueError, OSError, AttributeError):
        return None
    return value if value > 0 else None


def limits(peaks_mb: Mapping[str, int], jobs: int, available_kb: int | None) -> dict[str, int]:
    """Workers per tool: as many of its measured peak size as fit in :data:`SHARE` of the
    available memory (split evenly between the tools), at least one and at most ``jobs`` (the
    pool's size). Unknown memory bounds nothing: ``jobs`` workers."""
    jobs = max(1, jobs)
    out: dict[str, int] = {}
    # Several such tools can run at once: each gets an equal part of the share.
    budget_kb = int((available_kb or 0) * SHARE) // max(1, len(peaks_mb))
    for tool, peak_mb in peaks_mb.items():
        if available_kb is None or peak_mb <= 0:
            out[tool] = jobs
            continue
        out[tool] = max(1, min(jobs, budget_kb // (peak_mb * 1024)))
    return out
