"""Worker counts for memory-hungry tools: from the machine's memory and the tool's peak."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_gate import run
from secure_gate.workers import sizing

GIB_KB = 1024 * 1024


@pytest.mark.parametrize(("available_kb", "jobs", "expected"), [
    (24 * GIB_KB, 2, 2),          # a 2-core runner with memory to spare: both cores
    (24 * GIB_KB, 64, 64),
    (1 * GIB_KB, 16, 6),          # half of 1 GiB holds six 80 MB workers
    (100 * 1024, 4, 1),           # never fewer than one
    (None, 3, 3),                 # memory unknown: the pool's size
])
def test_limits_fit_the_available_memory(available_kb: int | None, jobs: int,
                                         expected: int) -> None:
    assert sizing.limits({"bandit": 80}, jobs, available_kb) == {"bandit": expected}


def test_two_hungry_tools_share_the_memory() -> None:
    assert sizing.limits({"a": 80, "b": 80}, 16, 1 * GIB_KB) == {"a": 3, "b": 3}


def test_bandit_is_not_halved_on_a_two_core_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # The halving rule gave bandit one worker of two: half the speed for no memory reason.
    monkeypatch.setattr(sizing, "available_memory_kb", lambda: 8 * GIB_KB)
    bandit = "secure_gate.scanners.bandit.worker"  # the pool's limits are by worker task
    assert run.worker_limits(["bandit", "detect-secrets", "pins"], 2) == {bandit: 2}
    monkeypatch.setattr(sizing, "available_memory_kb", lambda: 120 * 1024)
    assert run.worker_limits(["bandit"], 2) == {bandit: 1}


def test_available_memory_reads_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemFree:  100 kB\n"
                       "MemAvailable:   12345678 kB\n", encoding="ascii")
    assert sizing.available_memory_kb(meminfo) == 12345678


def test_available_memory_falls_back_to_sysconf(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 1 kB\n", encoding="ascii")  # an old kernel: no MemAvailable
    values = {"SC_PAGE_SIZE": 4096, "SC_AVPHYS_PAGES": 1000, "SC_PHYS_PAGES": 5000}
    monkeypatch.setattr(sizing.os, "sysconf", lambda name: values[name])
    assert sizing.available_memory_kb(meminfo) == 4000
    values["SC_AVPHYS_PAGES"] = -1
    assert sizing.available_memory_kb(tmp_path / "absent") == 20000

    def broken(name: str) -> int:
        raise ValueError(name)

    monkeypatch.setattr(sizing.os, "sysconf", broken)
    assert sizing.available_memory_kb(tmp_path / "absent") is None


def test_this_machine_reports_some_memory() -> None:
    found = sizing.available_memory_kb()
    assert found is not None and found > 0
