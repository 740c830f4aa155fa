"""The offline advisory database: zip or folder, withdrawn skipped, aliases, fail closed."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from secure_gate.advisories import db as dbmod
from secure_gate.advisories.db import AdvisoryDB, AdvisoryDBError


def osv(advisory_id: str, name: str, modified: str, **extra: Any) -> dict[str, Any]:
    return {"id": advisory_id, "modified": modified, **extra,
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM",
                                      "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}


RECORDS = [
    osv("PYSEC-T-1", "Django", "2024-03-01T10:00:00Z", aliases=["CVE-T-1", "GHSA-t-1"]),
    osv("GHSA-t-1", "django", "2024-05-06 07:08:09+00:00", aliases=["CVE-T-1", "PYSEC-T-1"]),
    osv("PYSEC-T-2", "other", "2023-01-01T00:00:00"),
    osv("PYSEC-T-3", "django", "2025-01-01T00:00:00Z", withdrawn="2025-01-02T00:00:00Z"),
]


def write_folder(root: Path, records: list[dict[str, Any]]) -> Path:
    for index, record in enumerate(records):
        sub = root / ("a" if index % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{record['id']}.json").write_text(json.dumps(record))
    (root / "README.md").write_text("not JSON, not read")
    return root


def write_zip(path: Path, records: list[dict[str, Any]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
        archive.writestr("notes.txt", "ignored")
    return path


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_load_and_query(tmp_path: Path, kind: str) -> None:
    source = (write_folder(tmp_path / "db", RECORDS) if kind == "folder"
              else write_zip(tmp_path / "db.zip", RECORDS))
    db = AdvisoryDB.load(source, shown="db")
    assert sorted(db.records) == ["GHSA-t-1", "PYSEC-T-1", "PYSEC-T-2"]
    assert db.withdrawn == 1
    # The newest modified date counts withdrawn records too: it dates the export.
    assert db.newest_modified == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert [r["id"] for r in db.query("DJANGO", "1.0")] == ["GHSA-t-1", "PYSEC-T-1"]
    assert db.query("django", "2.0") == []
    assert [r["id"] for r in db.related(["CVE-T-1"])] == ["GHSA-t-1", "PYSEC-T-1"]
    assert db.related(["UNKNOWN"]) == []
    assert db.describe() == ("offline advisory database db: 3 advisories (1 withdrawn, "
                             "skipped), newest modified 2025-01-01 00:00 UTC")


@pytest.mark.parametrize(("content", "problem"), [
    (b"{not json", "bad.json: not valid JSON"),
    (b"[]", "bad.json: not an OSV record (no 'id')"),
    (b'{"id": "X", "affected": {}}', "bad.json: 'affected' is not a list"),
])
def test_a_bad_record_names_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    folder = write_folder(tmp_path / "db", RECORDS)
    (folder / "bad.json").write_bytes(content)
    with pytest.raises(AdvisoryDBError) as caught:
        AdvisoryDB.load(folder, shown="advisories")
    assert str(caught.value).startswith(f"advisories: {problem}")


def test_unusable_sources(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDBError, match="no such file or folder"):
        AdvisoryDB.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AdvisoryDBError, match="holds no OSV advisories"):
        AdvisoryDB.load(tmp_path / "empty")
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(AdvisoryDBError, match="not a zip file or folder"):
        AdvisoryDB.load(tmp_path / "junk.zip")


def test_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_zip(tmp_path / "db.zip", RECORDS)
    monkeypatch.setattr(dbmod, "MAX_RECORD_BYTES", 100)
    with pytest.raises(AdvisoryDBError, match="larger than 100 bytes"):
        AdvisoryDB.load(source)
    monkeypatch.setattr(dbmod, "MAX_RECORD_BYTES", 10_000)
    monkeypatch.setattr(dbmod, "MAX_TOTAL_BYTES", 500)
    with pytest.raises(AdvisoryDBError, match="more than 500 bytes"):
        AdvisoryDB.load(source)


def test_the_shared_snapshot_loads(shared_dir: Path) -> None:
    db = AdvisoryDB.load(shared_dir / "advisories" / "pypa-advisory-db.zip")
    assert len(db.records) + db.withdrawn == 2661
    assert db.newest_modified is not None and db.newest_modified.year == 2024
