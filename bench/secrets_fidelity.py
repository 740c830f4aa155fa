"""What the gate changes in detect-secrets' findings, file by file; prints, exits 1 on a surprise.

    .venv/bin/python bench/secrets_fidelity.py DIR [DIR ...]

For every text file under the folders, three answers in one process:
1. ``detect-secrets scan --all-files`` run as a command on the folder (the reference);
2. the gate's worker with its own detectors and the benign-shape filters off: must equal 1
   (matches on `pragma: allowlist secret` lines, which the gate keeps as suppressed inline,
   are counted apart);
3. the gate's worker at its defaults: equal to 1 except the matches the benign-shape rules
   dropped (each printed with its rule, so a reader can check that none is a credential) and
   the matches of the gate's own detectors (printed by type).
Exits 1 when 2 differs from 1, or 3 differs from 1 in any other way.

detect-secrets' own test data (its repository's test_data/ and tests/ at v1.5.0):
    git clone --bare https://github.com/Yelp/detect-secrets bench/work/git/detect-secrets.git
    mkdir -p bench/work/detect-secrets-1.5.0 && git --git-dir bench/work/git/detect-secrets.git \
        archive v1.5.0 test_data tests | tar -x -C bench/work/detect-secrets-1.5.0
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from equivalence import text_files  # noqa: E402

from secure_gate.scanners.detect_secrets import kinds as secrets_kinds  # noqa: E402
from secure_gate.scanners.detect_secrets import worker as secrets_task  # noqa: E402

Key = tuple[str, int, str, str]


def keys(results: dict[str, list[dict[str, object]]], inline: bool = False) -> set[Key]:
    """(file, line, type, hashed secret) for every reported secret.

    Matches on a ``pragma: allowlist secret`` line, which the worker keeps and marks (they
    are reported as suppressed inline) where detect-secrets drops them, are left out unless
    ``inline``.
    """
    return {(name, int(str(s["line_number"])), str(s["type"]), str(s["hashed_secret"]))
            for name, found in results.items() for s in found
            if inline or not s.get("secure_gate_allowlisted")}


def allowlisted(results: dict[str, list[dict[str, object]]]) -> int:
    """How many matches the worker kept as suppressed inline."""
    return sum(1 for found in results.values() for s in found
               if s.get("secure_gate_allowlisted"))


def worker(folder: Path, files: list[Path], **flags: bool) -> dict[str, object]:
    """The gate's detect-secrets worker on ``files`` with ``flags``."""
    secrets_task._CONFIGURED.clear()
    return secrets_task.run({"root": str(folder), "files": [str(f) for f in files], **flags})


def main() -> None:
    """Compare the three answers for each folder."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    surprises = 0
    for folder in args.folders:
        folder = folder.resolve()
        files = text_files(folder)
        direct = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "--all-files",
                                 "-n", "."], cwd=folder, capture_output=True, text=True,
                                check=True)
        reference = keys(json.loads(direct.stdout)["results"])
        raw_doc = worker(folder, files, own_detectors=False, benign_filters=False)
        raw = keys(raw_doc["results"])  # type: ignore[arg-type]
        ours_doc = worker(folder, files)
        ours = keys(ours_doc["results"])  # type: ignore[arg-type]
        added = {k for k in ours if k[2] in secrets_kinds.OWN_TYPES}
        dropped = reference - ours
        benign: Counter[str] = Counter()
        for counts in ours_doc["secure_gate"]["benign"].values():  # type: ignore[index]
            benign.update(counts)
        print(f"{folder}: {len(files)} files, detect-secrets {len(reference)} secret(s); "
              f"worker without additions {'identical' if raw == reference else 'DIFFERS'}; "
              f"at defaults {len(ours - added & reference)} kept, {len(dropped)} dropped as "
              f"known-benign ({', '.join(f'{r} {n}' for r, n in sorted(benign.items()))}), "
              f"{len(added)} added by the gate's own detectors; "
              f"{allowlisted(raw_doc['results'])} on allowlist-pragma lines kept as "  # type: ignore[arg-type]
              "suppressed inline (detect-secrets drops them)")
        for name, line, kind, _ in sorted(dropped):
            print(f"  dropped {name}:{line} {kind}")
        for name, line, kind, _ in sorted(added):
            print(f"  added   {name}:{line} {kind}")
        if raw != reference:
            surprises += 1
            for k in sorted(raw ^ reference):
                print(f"  DIFFERENCE {k[0]}:{k[1]} {k[2]} ({'worker' if k in raw else 'tool'})")
        # The benign rules also see matches on pragma lines: compare with those included.
        raw_all = keys(raw_doc["results"], inline=True)  # type: ignore[arg-type]
        ours_all = keys(ours_doc["results"], inline=True)  # type: ignore[arg-type]
        added_all = {k for k in ours_all if k[2] in secrets_kinds.OWN_TYPES}
        if ours_all - added_all - raw_all \
                or len(raw_all - ours_all) != sum(benign.values()):
            surprises += 1
            print("  SURPRISE: the defaults changed more than the counted rules and additions")
    sys.exit(1 if surprises else 0)


if __name__ == "__main__":
    main()
