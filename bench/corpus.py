"""Fetch and unpack the benchmark corpus (bench/corpus.toml), checking every sha256."""

from __future__ import annotations

import argparse
import hashlib
import tarfile
import tomllib
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE / "work"


def entries() -> list[dict[str, str]]:
    """The sdists listed in corpus.toml."""
    with (HERE / "corpus.toml").open("rb") as fh:
        return list(tomllib.load(fh)["sdist"])


def fetch(entry: dict[str, str], into: Path = DEFAULT_DIR) -> Path:
    """Download (once), verify and unpack one sdist; returns the unpacked source folder."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / entry["url"].rsplit("/", 1)[-1]
    if not archive.exists() or _sha256(archive) != entry["sha256"]:
        tmp = archive.with_suffix(".part")
        # An https URL from corpus.toml, its content checked against the pinned sha256.
        with urllib.request.urlopen(entry["url"], timeout=120) as resp:  # noqa: S310  # nosec B310
            tmp.write_bytes(resp.read())
        if _sha256(tmp) != entry["sha256"]:
            tmp.unlink()
            raise SystemExit(f"sha256 mismatch for {entry['url']}")
        tmp.replace(archive)
    target = into / f"{entry['name']}-{entry['version']}"
    if not target.is_dir():
        staging = into / f".{entry['name']}-{entry['version']}.unpack"
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        (inner,) = list(staging.iterdir())
        inner.rename(target)
        staging.rmdir()
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    """Fetch every sdist and print where it was unpacked."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args()
    for entry in entries():
        print(fetch(entry, args.dir))


if __name__ == "__main__":
    main()
