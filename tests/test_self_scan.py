"""The project passes its own gate: pinned and hashed dependencies, no findings at the default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT


def test_secure_gate_passes_its_own_gate(shared_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "self.json"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "secure-gate"), "scan", "--advisory-db",
         str(shared_dir / "advisories" / "pypa-advisory-db.zip"), "--json", str(report),
         "--cache-dir", str(tmp_path / "cache")],
        cwd=PROJECT, capture_output=True, text=True, check=False, timeout=900)
    data = json.loads(report.read_text())
    blocking = [(f["path"], f["line"], f["rule"]) for f in data["findings"] if f["blocking"]]
    assert done.returncode == 0, (blocking, done.stdout[-2000:])
    statuses = {s["name"]: s["status"] for s in data["scanners"]}
    assert set(statuses.values()) == {"ok"}
    assert sorted(statuses) == sorted(["bandit", "pip-audit", "detect-secrets", "pins",
                                       "practices", "workflows"])
    # The one documented exception: GitHub requires Docker actions to run as root.
    suppressed = [(f["rule"], f["path"]) for f in data["findings"]
                  if f["suppressed"] and f["suppression"]["kind"] != "inline"]
    assert suppressed == [("container-runs-as-root", "Dockerfile")]
    # Inline comments (`# nosec`, allowlist pragmas) are visible as such, never blocking.
    assert all(not f["blocking"] for f in data["findings"]
               if f["suppression"] and f["suppression"]["kind"] == "inline")
