"""Secrets in the change's history: what scanning every commit of a PR adds to a diff scan.

    .venv/bin/python bench/history.py                 # 50 commits touching 200 files
    .venv/bin/python bench/history.py --commits 50 --files 200 --repeat 3

Generates a repository (a base of ``--files`` Python modules plus as many config files), then
a pull request of ``--commits`` commits that together touch ``--files`` files (each commit
edits its share, some files more than once), and times the diff-mode scan
(``--diff-base <base> --no-cache``) with ``--history pr`` against ``--history off``: the whole
gate, and detect-secrets alone. Prints the median wall times and the ratio next to the target
(history adds at most 20%), and a re-run with a warm result cache. A benchmark: it prints,
it never fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GATE = [sys.executable, "-m", "secure_gate"]
SHARED_DB = Path(__file__).resolve().parent.parent.parent / "shared" / "advisories" / \
    "pypa-advisory-db.zip"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
                        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"})


def _module(i: int, version: int) -> str:
    body = "".join(f"def f{i}_{k}(x):\n    return x * {k + version}\n\n\n" for k in range(40))
    return f'"""Module {i}, version {version}."""\n\nimport os\n\n\n{body}'


def build(root: Path, commits: int, files: int) -> str:
    """The repository; returns the base commit."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    for i in range(files):
        (root / "pkg" / f"m{i}.py").parent.mkdir(parents=True, exist_ok=True)
        (root / "pkg" / f"m{i}.py").write_text(_module(i, 0))
        (root / "conf" / f"c{i}.yml").parent.mkdir(parents=True, exist_ok=True)
        (root / "conf" / f"c{i}.yml").write_text(f"name: c{i}\nlevel: {i}\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()
    per_commit = max(1, files // commits)
    for c in range(commits):
        # Each commit edits its own share, and the previous commit's share again.
        for i in {*range(c * per_commit, (c + 1) * per_commit),
                  *range(max(0, (c - 1) * per_commit), c * per_commit)}:
            if i < files:
                (root / "pkg" / f"m{i % files}.py").write_text(_module(i % files, c + 1))
        _git(root, "commit", "-qam", f"change {c}")
    return base


def _time(root: Path, base: str, mode: str, scanners: str | None,
          cache: Path | None = None) -> float:
    caching = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    argv = [*GATE, "scan", *caching, "--diff-base", base, "--history", mode,
            "--json", os.devnull]
    if scanners:
        argv += ["--scanners", scanners]
    elif SHARED_DB.exists():
        argv += ["--advisory-db", str(SHARED_DB)]
    else:
        argv += ["--scanners", "bandit,detect-secrets,pins,practices,workflows"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        root = Path(tmp) / "repo"
        base = build(root, args.commits, args.files)
        print(f"{args.commits} commits touching {args.files} files, median of "
              f"{args.repeat}, --no-cache")
        for label, scanners in (("whole gate", None), ("detect-secrets alone", "detect-secrets")):
            times: dict[str, list[float]] = {"off": [], "pr": []}
            for _ in range(args.repeat):
                for mode in ("off", "pr"):  # interleaved: machine load hits both alike
                    times[mode].append(_time(root, base, mode, scanners))
            off, on = statistics.median(times["off"]), statistics.median(times["pr"])
            print(f"{label:>22}: history off {off:6.2f}s, pr {on:6.2f}s, "
                  f"ratio {on / off:4.2f} (target <= 1.20)")
        # A re-run with the result cache (actions/cache): each blob is cached by its id.
        caches = {m: Path(tmp) / f"cache-{m}" for m in ("off", "pr")}
        for mode, folder in caches.items():
            _time(root, base, mode, "detect-secrets", folder)
        warm = {m: statistics.median(_time(root, base, m, "detect-secrets", caches[m])
                                     for _ in range(args.repeat)) for m in caches}
        print(f"{'warm cache, d-s alone':>22}: history off {warm['off']:6.2f}s, pr "
              f"{warm['pr']:6.2f}s, ratio {warm['pr'] / warm['off']:4.2f}")


if __name__ == "__main__":
    main()
