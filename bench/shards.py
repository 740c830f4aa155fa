"""Matrix shards on a real codebase: the slowest shard against the unsharded scan, and the
merge checked against it finding for finding.

    .venv/bin/python bench/shards.py                  # django 5.2.8, N = 2 and 4
    .venv/bin/python bench/shards.py --corpus flask --counts 2,3,7

Each shard runs alone, one after another, with the whole machine (as a matrix leg has its
own runner). Prints each N's slowest shard as a ratio of the unsharded wall time next to the
target (1/N + 15%), and whether the merge of the N shards equals the unsharded scan
(fingerprints and counts, exit code, pass/fail). A benchmark: it prints, it never fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import run as bench_run  # noqa: E402

GATE = [sys.executable, "-m", "secure_gate"]
SHARED_DB = HERE.parent.parent / "shared" / "advisories" / "pypa-advisory-db.zip"


def _run(root: Path, out: Path, *extra: str) -> tuple[float, int]:
    argv = [*GATE, "scan", "--no-cache", "--json", str(out), *extra]
    if SHARED_DB.exists():
        argv += ["--advisory-db", str(SHARED_DB)]
    else:
        argv += ["--scanners", "bandit,detect-secrets,pins,practices,workflows"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, check=False)
    return time.perf_counter() - start, done.returncode


def _key(document: dict[str, object]) -> tuple[object, ...]:
    findings = document["findings"]
    assert isinstance(findings, list)  # noqa: S101  # nosec B101 (our own JSON)
    return (document["exit_code"], document["passed"],
            Counter((f["scanner"], f["rule"], f["fingerprint"], f["blocking"])
                    for f in findings))


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="django")
    parser.add_argument("--counts", default="2,4")
    args = parser.parse_args()
    (entry,) = [e for e in corpus.entries() if e["name"] == args.corpus]
    root = bench_run.git_copy(corpus.fetch(entry), corpus.DEFAULT_DIR)  # what users scan
    with tempfile.TemporaryDirectory(prefix="secure-gate-bench-shards-") as tmp:
        work = Path(tmp)
        whole_s, whole_code = _run(root, work / "whole.json")
        whole = json.loads((work / "whole.json").read_text())
        print(f"{entry['name']} {entry['version']}: unsharded {whole_s:.1f}s "
              f"(exit {whole_code}, {len(whole['findings'])} findings)")
        for count in (int(c) for c in args.counts.split(",")):
            times = []
            parts = []
            for index in range(1, count + 1):
                part = work / f"shard-{count}-{index}.json"
                seconds, _code = _run(root, part, "--shard", f"{index}/{count}")
                times.append(seconds)
                parts.append(str(part))
            merged = work / f"merged-{count}.json"
            done = subprocess.run([*GATE, "merge", *parts, "--json", str(merged)], cwd=root,
                                  capture_output=True, check=False)
            same = (merged.exists()
                    and _key(json.loads(merged.read_text())) == _key(whole)
                    and done.returncode == whole_code)
            slowest = max(times)
            target = 1 / count + 0.15
            print(f"  N={count}: shards {', '.join(f'{t:.1f}s' for t in times)}; slowest "
                  f"{slowest / whole_s:.2f}x of unsharded (target <= {target:.2f}x); merge "
                  f"{'equals' if same else 'DIFFERS FROM'} the unsharded scan")


if __name__ == "__main__":
    main()
