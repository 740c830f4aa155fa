"""Benchmark secure-gate against the bare tools run side by side; prints ratios, never fails.

    .venv/bin/python bench/run.py                  # Django 5.2.8 (bench/corpus.toml), 1 round
    .venv/bin/python bench/run.py --corpus flask   # a small corpus (what CI runs)

Five figures, each a ratio against what the bare tools cost on the same machine:
1. cold full scan (bandit + detect-secrets) against the CPU-bound floor (the tools' summed CPU
   time / cores) and against running `bandit -r` then `detect-secrets scan` one after the other;
2. warm re-scan of the unchanged tree against the cold scan (and the findings must be equal);
3. one staged file: `secure-gate hook -- FILE` against `bandit FILE` + `detect-secrets-hook FILE`;
4. pip-audit across a generated monorepo: queries sent per distinct pinned (package, version);
5. peak memory (summed PSS) of the whole process tree, against the larger of the two tools';
6. bandit alone with its workers sized by memory (all cores here) against one worker per two
   cores (the halving rule it replaced), with the largest single worker's RSS and the findings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402 - bench/ is not a package


@dataclass
class Run:
    """One measured command."""

    wall: float
    cpu: float
    peak_rss_mb: float
    code: int
    largest_mb: float = 0.0  # the largest resident size any one process of the tree reached


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _proc_kb(pid: int, file: str, key: str) -> int:
    """A ``key: N kB`` line of ``/proc/PID/FILE`` (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/{file}") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between the processes sharing them, so a
    tree's sum is the memory it really uses (summed RSS would count libpython and every
    copy-on-write page of a forked pool once per process)."""
    return _proc_kb(pid, "smaps_rollup", "Pss:")


def _vm_rss_kb(pid: int) -> int:
    """One process's resident size, as a worker's own memory is judged."""
    return _proc_kb(pid, "status", "VmRSS:")


def measure(argv: list[str], cwd: Path, stdout: Path | None = None) -> Run:
    """Wall time, CPU time of the whole tree, and peak summed RSS of the tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sink = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=sink, stderr=subprocess.DEVNULL)
    peak = largest = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, largest
        while not done.is_set():
            tree = _tree(proc.pid)
            peak = max(peak, sum(_rss_kb(p) for p in tree))
            largest = max([largest, *(_vm_rss_kb(p) for p in tree[1:])])  # workers, tools
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if stdout:
        sink.close()  # type: ignore[union-attr]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, peak / 1024, code, largest / 1024)


def git_copy(source: Path, work: Path) -> Path:
    """The corpus as a git repository (what users scan), made once."""
    target = work / f"{source.name}-git"
    if not (target / ".git").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@invalid",
               "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@invalid"}
        for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                     ["commit", "-q", "-m", "corpus"]):
            subprocess.run(["git", *args], cwd=target, check=True, env=env)
    return target


def findings(path: Path) -> list[tuple[str, str, int, str]]:
    data = json.loads(path.read_text())
    return sorted((f["scanner"], f["path"], f["line"] or 0, f["rule"])
                  for f in data["findings"])


def cold_and_warm(repo: Path, tmp: Path, cores: int) -> list[tuple[str, float, str, str]]:
    bandit = measure([str(BIN / "bandit"), "-r", ".", "-f", "json", "-o", os.devnull, "-q"],
                     repo)
    ds = measure([str(BIN / "detect-secrets"), "scan"], repo)
    cache = tmp / "cache"
    gate = [str(BIN / "secure-gate"), "scan", "--scanners", "bandit,detect-secrets",
            "--fail-on", "never", "--cache-dir", str(cache)]
    cold = measure([*gate, "--json", str(tmp / "cold.json")], repo)
    warm = measure([*gate, "--json", str(tmp / "warm.json")], repo)
    floor = (bandit.cpu + ds.cpu) / cores
    sequential = bandit.wall + ds.wall
    same = findings(tmp / "cold.json") == findings(tmp / "warm.json")
    print(f"  bare bandit -r        {bandit.wall:8.2f}s wall {bandit.cpu:8.2f}s cpu "
          f"{bandit.peak_rss_mb:7.1f} MB")
    print(f"  bare detect-secrets   {ds.wall:8.2f}s wall {ds.cpu:8.2f}s cpu "
          f"{ds.peak_rss_mb:7.1f} MB")
    print(f"  secure-gate cold      {cold.wall:8.2f}s wall {cold.cpu:8.2f}s cpu "
          f"{cold.peak_rss_mb:7.1f} MB")
    print(f"  secure-gate warm      {warm.wall:8.2f}s wall {warm.cpu:8.2f}s cpu "
          f"{warm.peak_rss_mb:7.1f} MB  (findings identical to cold: {same})")
    largest = max(bandit.peak_rss_mb, ds.peak_rss_mb)
    return [
        ("1. cold / CPU floor", cold.wall / floor, "<= 1.10",
         f"floor = ({bandit.cpu:.1f}+{ds.cpu:.1f}) cpu-s / {cores} cores = {floor:.1f}s"),
        ("1. cold / sequential", cold.wall / sequential, "<= 0.60 (stretch)",
         f"sequential = {sequential:.1f}s"),
        ("2. warm / cold", warm.wall / cold.wall, "<= 0.10",
         "identical findings" if same else "FINDINGS DIFFER"),
        ("5. peak memory / largest tool", cold.peak_rss_mb / largest, "<= 1.50",
         f"{cold.peak_rss_mb:.0f} MB vs {largest:.0f} MB"),
    ]


def bandit_workers(repo: Path, tmp: Path, cores: int) -> tuple[str, float, str, str]:
    """bandit alone, without the cache: all cores (what memory sizing gives a machine with
    memory to spare) against half of them (the rule it replaced)."""
    from secure_gate.scanners import get
    from secure_gate.workers import sizing

    gate = [str(BIN / "secure-gate"), "scan", "--scanners", "bandit", "--fail-on", "never",
            "--no-cache"]
    half = max(1, cores // 2)
    sized = sizing.limits({"bandit": int(getattr(get("bandit"), "worker_peak_mb", 0))},
                          cores, sizing.available_memory_kb())["bandit"]
    old = measure([*gate, "--jobs", str(half), "--json", str(tmp / "half.json")], repo)
    new = measure([*gate, "--jobs", str(cores), "--json", str(tmp / "sized.json")], repo)
    same = findings(tmp / "half.json") == findings(tmp / "sized.json")
    count = len(findings(tmp / "sized.json"))
    for label, run, workers in (("halved", old, half), ("sized", new, sized)):
        print(f"  bandit, {label:6} {workers:2} worker(s) {run.wall:7.2f}s wall {run.cpu:7.2f}s "
              f"cpu {run.peak_rss_mb:7.1f} MB tree, largest process {run.largest_mb:5.1f} MB")
    return ("6. bandit sized / halved workers", new.wall / old.wall, "< 1 on 2+ cores",
            f"{sized} vs {half} worker(s): {new.wall:.1f}s vs {old.wall:.1f}s, largest process "
            f"{new.largest_mb:.0f} vs {old.largest_mb:.0f} MB, {count} findings"
            + ("" if same else ", FINDINGS DIFFER"))


def hook(repo: Path, rounds: int) -> tuple[str, float, str, str]:
    candidates = sorted((p for p in repo.rglob("*.py") if ".git" not in p.parts),
                        key=lambda p: abs(p.stat().st_size - 20_000))
    target = str(candidates[0].relative_to(repo))
    bare_b, bare_d, gate = [], [], []
    for _ in range(rounds):
        bare_b.append(measure([str(BIN / "bandit"), "-q", target], repo).wall)
        bare_d.append(measure([str(BIN / "detect-secrets-hook"), target], repo).wall)
        gate.append(measure([str(BIN / "secure-gate"), "hook", "--no-cache", "--", target],
                            repo).wall)
    bare = statistics.median(bare_b) + statistics.median(bare_d)
    ours = statistics.median(gate)
    return ("3. hook on one file / bare tools", ours / bare, "<= 1.00",
            f"{target}: {ours:.2f}s vs {bare:.2f}s (median of {rounds})")


def pip_audit_monorepo(tmp: Path) -> tuple[str, float, str, str]:
    """Services pinning overlapping sets: every distinct pin must be queried once."""
    repo = tmp / "monorepo"
    osv = repo / "osv"
    osv.mkdir(parents=True)
    (osv / "BENCH-1.json").write_text(json.dumps({
        "id": "BENCH-1", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg-3"},
                      "versions": ["1.0.0"]}]}))
    distinct: set[tuple[str, str]] = set()
    for service in range(12):
        lines = []
        for n in range(40):
            version = "1.0.0" if (n + service) % 5 else "2.0.0"
            lines.append(f"pkg-{n}=={version}")
            distinct.add((f"pkg-{n}", version))
        (repo / f"svc{service}").mkdir()
        (repo / f"svc{service}" / "requirements.txt").write_text("\n".join(lines) + "\n")
    report = tmp / "pip-audit.json"
    measure([str(BIN / "secure-gate"), "scan", "--scanners", "pip-audit", "--advisory-db",
             str(osv), "--fail-on", "never", "--no-cache", "--json", str(report)], repo)
    data = json.loads(report.read_text())
    scanner = next(s for s in data["scanners"] if s["name"] == "pip-audit")
    queries = scanner["stats"].get("service_queries", -1)
    return ("4. pip-audit queries / distinct pins", queries / len(distinct), "== 1.00",
            f"{queries} queries for {len(distinct)} distinct pins in 12 manifests "
            f"({12 * 40} lines); status {scanner['status']}")


def main() -> None:
    """Run every benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="django", help="a name from bench/corpus.toml")
    parser.add_argument("--hook-rounds", type=int, default=7)
    args = parser.parse_args()
    entry = next(e for e in corpus.entries() if e["name"] == args.corpus)
    cores = os.cpu_count() or 1
    print(f"secure-gate benchmark on {entry['name']} {entry['version']}: {platform.machine()}, "
          f"{cores} cores, {_cpu_model()}, {_memory_gb():.0f} GiB, Python "
          f"{platform.python_version()}")
    repo = git_copy(corpus.fetch(entry), corpus.DEFAULT_DIR)
    # A normal `pip install` byte-compiles the package; an editable one may not have: do it
    # here so that neither side pays for compiling sources.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "src")],
                   check=False)
    with tempfile.TemporaryDirectory(prefix="secure-gate-bench-") as tmp:
        rows = cold_and_warm(repo, Path(tmp), cores)
        rows.append(bandit_workers(repo, Path(tmp), cores))
        rows.append(hook(repo, args.hook_rounds))
        rows.append(pip_audit_monorepo(Path(tmp)))
    print()
    print(f"  {'figure':38} {'ratio':>7}  {'target':18} detail")
    for name, ratio, target, detail in sorted(rows):
        print(f"  {name:38} {ratio:7.3f}  {target:18} {detail}")
    print(f"\nreproduce: .venv/bin/python bench/run.py --corpus {args.corpus}")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    main()
