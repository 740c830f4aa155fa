"""Prove the gate's shortcuts change no finding: same results as the stock tools, file by file.

    .venv/bin/python bench/equivalence.py DIR [DIR ...]
    .venv/bin/python bench/equivalence.py --tool-data      # bandit's own examples (PyPI sdist)

For every text file under the folders:
* detect-secrets: its stock per-line loop against secure-gate's fast loop
  (secure_gate/scanners/detect_secrets/fast.py), in one process, same settings;
* bandit (``*.py``): ``bandit -f json`` run as a command against bandit's manager run the way
  secure-gate's workers run it (secure_gate/scanners/bandit/worker.py).
Prints the counts and every difference; exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from secure_gate.scanners.bandit import worker as bandit_task  # noqa: E402
from secure_gate.scanners.detect_secrets import worker as secrets_task  # noqa: E402

# bandit's published test corpus (examples/) ships in its sdist on PyPI.
BANDIT_URL = ("https://files.pythonhosted.org/packages/aa/c3/"
              "0cb80dfe0f3076e5da7e4c5ad8e57bac6ac357ff4a6406205501cade4965/bandit-1.9.4.tar.gz")
# A sha256 digest, not a credential.
# pragma: allowlist nextline secret
BANDIT_SHA256 = "b589e5de2afe70bd4d53fa0c1da6199f4085af666fde00e8a034f152a52cd628"
BANDIT_SDIST = (BANDIT_URL, BANDIT_SHA256)


def text_files(folder: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, names in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in names:
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            head = path.read_bytes()[:8192]
            if b"\0" not in head:
                out.append(path)
    return sorted(out)


def secrets(folder: Path, files: list[Path], fast: bool) -> dict[str, object]:
    secrets_task._CONFIGURED.clear()
    document = secrets_task.run({"root": str(folder), "files": [str(f) for f in files],
                                 "fast": fast})
    return dict(document["results"])


def bandit_cli(folder: Path, files: list[Path]) -> set[tuple[str, int, str]]:
    found: set[tuple[str, int, str]] = set()
    for start in range(0, len(files), 200):
        chunk = [str(f) for f in files[start : start + 200]]
        done = subprocess.run([sys.executable, "-m", "bandit", "-f", "json", "-q", *chunk],
                              cwd=folder, capture_output=True, text=True, check=False)
        found |= {(os.path.normpath(r["filename"]), r["line_number"], r["test_id"])
                  for r in json.loads(done.stdout)["results"]}
    return found


def bandit_workers(files: list[Path]) -> set[tuple[str, int, str]]:
    document = bandit_task.run({"files": [str(f) for f in files]})
    return {(os.path.normpath(r["filename"]), r["line_number"], r["test_id"])
            for r in document["results"]}


def bandit_examples(into: Path) -> Path:
    url, digest = BANDIT_SDIST
    # A pinned https URL whose content is checked against its sha256 below.
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310  # nosec B310
        data = resp.read()
    if hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit("bandit sdist sha256 mismatch")
    archive = into / "bandit.tar.gz"
    archive.write_bytes(data)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "bandit-1.9.4"


def check(folder: Path) -> int:
    files = text_files(folder)
    differences = 0
    stock, fast = secrets(folder, files, False), secrets(folder, files, True)
    count = sum(len(v) for v in stock.values())  # type: ignore[arg-type]
    for name in sorted(set(stock) | set(fast)):
        if stock.get(name) != fast.get(name):
            differences += 1
            print(f"  detect-secrets differs on {name}:\n    stock {stock.get(name)}\n"
                  f"    fast  {fast.get(name)}")
    print(f"{folder}: {len(files)} text files, detect-secrets {count} secrets, "
          f"{'identical' if not differences else f'{differences} file(s) DIFFER'}")
    python = [f for f in files if f.suffix == ".py"]
    if python:
        cli, ours = bandit_cli(folder, python), bandit_workers(python)
        for item in sorted(cli ^ ours):
            differences += 1
            print(f"  bandit differs: {item} ({'cli only' if item in cli else 'ours only'})")
        print(f"{folder}: {len(python)} Python files, bandit {len(cli)} results, "
              f"{'identical' if cli == ours else 'DIFFERENT'}")
    return differences


def main() -> None:
    """Check every folder given (and bandit's examples with --tool-data)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--tool-data", action="store_true",
                        help="also bandit's examples/ from its sdist on PyPI")
    args = parser.parse_args()
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        folders = list(args.folders)
        if args.tool_data:
            folders.append(bandit_examples(Path(tmp)) / "examples")
        for folder in folders:
            total += check(folder.resolve())
    raise SystemExit(1 if total else 0)


if __name__ == "__main__":
    main()
