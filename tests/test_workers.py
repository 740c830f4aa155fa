"""The worker pool, detect-secrets' fast loop, and terminal progress."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from secure_gate.progress import Progress
from secure_gate.scanners.detect_secrets import worker as secrets_task
from secure_gate.workers import pool as pool_module
from secure_gate.workers.pool import WorkerError, WorkerPool
from tests import secrets_corpus as fake
from tests.conftest import Repo

# Lines written to exercise every kind of detector and filter, in several file types whose
# detect-secrets transformers differ (YAML, INI, .env, JSON, Python, shell, markdown).
CORPUS = {
    "a.py": f'''import os
password = "{fake.PASSWORD}"
api_key: str = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u'
hexed = "8f14e45fceea167a5a36dedd4bea2543"
token = "{fake.GITHUB_TOKEN}"  # pragma: allowlist secret
# pragma: allowlist nextline secret
other = "{fake.GITHUB_TOKEN}"
aws = "{fake.AWS_KEY_ID}"
jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLWJ5dGVz"
url = "https://user:s3cr3tp4ss@example.com/path"
ip = "8.8.8.8"
secret = os.environ["SECRET"]
not_a_secret = "${{PASSWORD}}"
seq = "abcdefghijklmnopqrstuvwxyz0123456789"
uuid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
''',
    "conf.yaml": f"db:\n  password: {fake.PASSWORD}\n  url: postgres://u:hunter2x9@db/x\n"
                 "  key: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u'\n"
                 "  list:\n    - AKIAIOSFODNN7EXAMPLE\n",
    "settings.ini": f"[main]\npassword = {fake.PASSWORD}\nsecret_key=abcd1234efgh5678ijkl\n",
    ".env": f"API_TOKEN={fake.GITHUB_TOKEN}\nPASSWORD='{fake.PASSWORD}'\nEMPTY=\n",
    "data.json": f'{{"password": "{fake.PASSWORD}", "nested": {{"token": "abc"}}}}\n',
    "run.sh": f"export SECRET_KEY={fake.PASSWORD}\ncurl -u admin:{fake.PASSWORD} https://x\n",
    "notes.md": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE "
                "KEY-----\nslack xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx\n",
    "long.txt": "x = 1\n" * 2000 + f'pw = "{fake.PASSWORD}"\n',
}


BANDIT = "secure_gate.scanners.bandit.worker"


def scan(folder: Path, fast: bool) -> dict[str, object]:
    secrets_task._CONFIGURED.clear()
    files = [str(folder / name) for name in CORPUS]
    result = secrets_task.run({"root": str(folder), "files": files, "fast": fast})
    return dict(result["results"])


def test_fast_loop_finds_exactly_what_detect_secrets_finds(tmp_path: Path) -> None:
    for name, text in CORPUS.items():
        (tmp_path / name).write_text(text)
    stock = scan(tmp_path, fast=False)
    fast = scan(tmp_path, fast=True)
    assert fast == stock
    assert sum(len(v) for v in stock.values()) >= 12  # type: ignore[arg-type]
    assert {"a.py", "conf.yaml", "settings.ini", ".env", "run.sh"} <= set(stock)


@pytest.mark.parametrize(("version", "fast"), [
    ("1.5.0", True), ("1.4.0", True), ("1.3.0", True),   # the internals compared, identical
    ("1.2.0", False), ("1.0.3", False), ("0.14.3", False),
    ("1.5.1", False), ("1.6.0", False), ("2.0.0", False),  # not compared yet
    ("1.5.0.post1", False), ("not a version", False),
])
def test_fast_loop_only_for_the_versions_it_was_compared_with(
        monkeypatch: pytest.MonkeyPatch, version: str, fast: bool) -> None:
    from detect_secrets.core import scan as ds_scan

    from secure_gate.scanners.detect_secrets import fast as secrets_fast

    monkeypatch.setattr("detect_secrets.__version__.VERSION", version)
    try:
        assert secrets_fast.install(True) is fast
        assert (ds_scan._process_line_based_plugins is secrets_fast.process_lines) is fast
    finally:
        secrets_fast.install(False)


def test_changed_internals_fall_back_even_on_a_supported_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from detect_secrets.core import scan as ds_scan

    from secure_gate.scanners.detect_secrets import fast as secrets_fast

    def _scan_line(plugin: object, filename: str) -> None:  # a different signature
        return None

    monkeypatch.setattr(ds_scan, "_scan_line", _scan_line)
    try:
        assert secrets_fast.install(True) is False
        monkeypatch.delattr(ds_scan, "_scan_line")
        assert secrets_fast.install(True) is False
    finally:
        secrets_fast.install(False)


def test_the_forced_fallback_finds_exactly_what_the_fast_loop_finds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The path a detect-secrets release newer than the compared ones takes: fast asked for,
    # the stock loop used; the findings must not change.
    for name, text in CORPUS.items():
        (tmp_path / name).write_text(text)
    fast = scan(tmp_path, fast=True)
    monkeypatch.setattr("detect_secrets.__version__.VERSION", "1.6.0")
    fallback = scan(tmp_path, fast=True)
    from detect_secrets.core import scan as ds_scan

    from secure_gate.scanners.detect_secrets import fast as secrets_fast

    assert ds_scan._process_line_based_plugins is not secrets_fast.process_lines
    assert fallback == fast
    assert sum(len(v) for v in fast.values()) >= 12  # type: ignore[arg-type]
    secrets_fast.install(False)


def test_pool_runs_batches_and_replaces_a_crashed_worker(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import pickle\npickle.loads(b'')\n")
    pool = WorkerPool(tmp_path, 1)
    try:
        deadline = time.monotonic() + 60
        good = pool.submit(BANDIT, {"files": [str(tmp_path / "a.py")]}, deadline)
        bad = pool.submit("nonsense", {}, deadline)
        again = pool.submit(BANDIT, {"files": [str(tmp_path / "a.py")]}, deadline)
        assert {r["test_id"] for r in good.result()["results"]} == {"B403", "B301"}
        with pytest.raises(WorkerError, match="not a secure-gate worker task"):
            bad.result()
        assert again.result()["results"]
    finally:
        pool.close()


def test_pool_kills_a_worker_that_overruns(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "worker_command",
                        lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    pool = WorkerPool(tmp_path, 1)
    try:
        started = time.monotonic()
        future = pool.submit(BANDIT, {"files": []}, time.monotonic() + 1)
        with pytest.raises(WorkerError, match="timed out"):
            future.result(timeout=30)
        assert time.monotonic() - started < 20
    finally:
        pool.close()


def test_pool_reports_a_worker_that_cannot_start(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "worker_command", lambda: [str(tmp_path / "missing")])
    pool = WorkerPool(tmp_path, 2)
    try:
        pool.prestart([BANDIT])
        future = pool.submit(BANDIT, {"files": []}, time.monotonic() + 10)
        with pytest.raises(WorkerError, match="could not start a worker"):
            future.result(timeout=30)
    finally:
        pool.close()


def test_pool_size_is_the_jobs_limit(tmp_path: Path) -> None:
    pool = WorkerPool(tmp_path, 2)
    try:
        futures = [pool.submit(BANDIT, {"files": []}, time.monotonic() + 60)
                   for _ in range(6)]
        for future in futures:
            future.result()
        assert len(pool._threads) == 2
    finally:
        pool.close()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_only_on_a_terminal_after_the_delay() -> None:
    assert Progress.for_terminal(io.StringIO()).stream is None
    screen = FakeTerminal()
    progress = Progress(screen, delay=0.0, interval=0.01)
    progress.add("bandit", 10, done=4)
    with progress:
        progress.advance("bandit", 3)
        time.sleep(0.1)
    assert "secure-gate 70% | bandit 7/10 files" in screen.getvalue()
    assert screen.getvalue().endswith("\r\x1b[K")
    quiet = FakeTerminal()
    with Progress(quiet, delay=60):
        time.sleep(0.05)
    assert quiet.getvalue() == ""


def test_progress_escapes_scanner_names() -> None:
    progress = Progress(None)
    progress.add("evil\x1b[2J", 1)
    assert "\x1b" not in progress.line()


def test_a_limited_tool_never_runs_in_more_workers_than_its_limit(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    busy: list[int] = []
    pool = WorkerPool(tmp_path, 2, limits={BANDIT: 1})
    try:
        futures = [pool.submit(BANDIT, {"files": [str(tmp_path / "a.py")]},
                               time.monotonic() + 60) for _ in range(6)]
        for future in futures:
            future.result()
            busy.append(pool._serving.get(BANDIT, 0))
        assert max(busy) == 1
    finally:
        pool.close()


def _workers_of(pid: int) -> list[int]:
    """Live worker processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines()
                     if line.startswith("PPid:")), 0)
        state = next((line.split()[1] for line in status.splitlines()
                      if line.startswith("State:")), "")
        if ppid == pid and b"secure_gate.workers.main" in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_no_worker_survives_the_gate(how: str, make_repo: Callable[..., Repo]) -> None:
    """A gate stopped mid-scan takes its workers with it (each has its own process group)."""
    import signal
    import subprocess

    # Long lines (just under the length limit) keep a detect-secrets worker busy for a while.
    repo = make_repo({"big.txt": ("k=" + "ab12=" * 3_900 + "\n") * 240})
    log = repo.root.parent / f"gate-{how}.log"
    with log.open("wb") as err, subprocess.Popen(
            [sys.executable, "-m", "secure_gate", "scan", "--no-cache", "--scanners",
             "detect-secrets", "--jobs", "1"], cwd=repo.root, stdout=subprocess.DEVNULL,
            stderr=err) as gate:
        try:
            deadline = time.monotonic() + 60
            workers: list[int] = []
            while time.monotonic() < deadline and not workers:
                workers = _workers_of(gate.pid)
                time.sleep(0.1)
            assert workers, "no worker started"
            time.sleep(2)  # the batch is in the worker now
            assert gate.poll() is None, "the scan ended before the signal: it proves nothing"
            gate.send_signal(getattr(signal, how))
            code = gate.wait(timeout=30)
            assert code == {"SIGTERM": 143, "SIGINT": 130, "SIGKILL": -9}[how], log.read_text()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(_alive(w) for w in workers):
                time.sleep(0.1)
            assert [w for w in workers if _alive(w)] == []
        finally:
            if gate.poll() is None:
                gate.kill()
            for w in workers:
                if _alive(w):
                    os.kill(w, 9)
