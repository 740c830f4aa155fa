"""A pool of long-lived worker processes that run bandit and detect-secrets batches.

Each worker imports one tool once and then takes batch after batch, so a large repository
pays the tools' start-up about once per core instead of once per shard, and bandit and
detect-secrets batches share the cores to the end. A worker that crashes or overruns its
deadline is killed and replaced; the batch it held fails, which fails its scanner closed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from secure_gate import _subprocess
from secure_gate.workers.main import PARENT_ENV

# A worker past this resident size is replaced after its batch (bandit alone imports in about
# 45 MB and grows with the largest files it has parsed; detect-secrets stays near 36 MB).
MAX_WORKER_RSS_KB = 56 * 1024


class WorkerError(Exception):
    """A batch that did not complete: the worker crashed, timed out or the tool raised."""


@dataclass
class _Task:
    kind: str
    payload: dict[str, Any]
    deadline: float
    future: Future[dict[str, Any]] = field(default_factory=Future)
    files: int = 0


def worker_command() -> list[str]:
    """How a worker is started: this interpreter, isolated, running secure_gate.workers.main."""
    return _subprocess.python_module("secure_gate.workers.main")


# Every worker process this gate has running, so that a gate told to stop (SIGTERM, SIGINT,
# a crash unwinding the scan) takes them all with it: each runs in its own process group.
_LIVE: set[_Worker] = set()
_LIVE_LOCK = threading.Lock()


def terminate_all() -> None:
    """Kill every worker process still running (the gate is stopping)."""
    with _LIVE_LOCK:
        workers = list(_LIVE)
    for worker in workers:
        worker.kill()


class _Worker:
    """One child process speaking JSON lines on stdin/stdout."""

    def __init__(self, preload: str | None = None) -> None:
        self.proc = subprocess.Popen(
            # The repository reaches the worker only as data (absolute paths in requests),
            # never as its working directory: nothing there is importable.
            [*worker_command(), *(["--preload", preload] if preload else [])],
            cwd=_subprocess.NEUTRAL_CWD,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=_subprocess.tool_env({PARENT_ENV: str(os.getpid())}), start_new_session=True)
        with _LIVE_LOCK:
            _LIVE.add(self)
        self.stderr_tail: deque[bytes] = deque(maxlen=40)
        self.buffer = b""
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        with cast(IO[bytes], self.proc.stderr) as stream:
            for line in stream:
                self.stderr_tail.append(line)

    def tail(self) -> str:
        return b"".join(self.stderr_tail).decode("utf-8", "replace").strip()[-1500:]

    def call(self, request: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        """Send one request and wait for its answer until ``deadline``."""
        stdin = cast(IO[bytes], self.proc.stdin)
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerError(f"worker exited: {self.tail() or 'no output'}") from None
        fd = cast(IO[bytes], self.proc.stdout).fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.proc.wait()
                raise WorkerError(f"worker exited with status {self.proc.returncode}: "
                                  f"{self.tail() or 'no output'}")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, 9)
        self.proc.wait()
        self._close_pipes()
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def close(self) -> None:
        try:
            with contextlib.suppress(OSError):
                cast(IO[bytes], self.proc.stdin).close()
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def _close_pipes(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class WorkerPool:
    """Up to ``size`` workers, started on demand, each serving one tool at a time.

    Batches wait in one queue per tool. A worker keeps serving its tool while that tool has
    batches; when it runs dry the worker is replaced by a fresh one for the tool with the
    most waiting work and the fewest workers. So no process ever holds both tools, and a
    worker whose memory grew past :data:`MAX_WORKER_RSS_KB` (bandit keeps what it parsed)
    is replaced after its batch: the pool's peak memory stays near one worker per core.
    """

    def __init__(self, root: Path, size: int,
                 progress: Callable[[str, int], None] | None = None,
                 limits: Mapping[str, int] | None = None) -> None:
        self.root = root
        self.size = max(1, size)
        self.progress = progress
        # At most this many workers at once for a tool (a memory-hungry one), whatever waits.
        self.limits = dict(limits or {})
        self._queues: dict[str, deque[_Task]] = {}
        self._serving: dict[str, int] = {}
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._ids = iter(range(1, 1 << 62))
        self._ready: dict[str, list[_Worker]] = {}

    def prestart(self, kinds: list[str]) -> None:
        """Start workers now, each importing one tool, while the gate walks the repository.

        A worker that cannot start here is not an error yet: the batch that needs one will
        try again and fail with the reason.
        """
        for kind in kinds[: self.size]:
            try:
                worker = _Worker(preload=kind)
            except OSError:
                return
            with self._cond:
                self._ready.setdefault(kind, []).append(worker)

    def submit(self, kind: str, payload: dict[str, Any], deadline: float,
               files: int = 0) -> Future[dict[str, Any]]:
        """Queue one batch; the future holds the tool's result or a :class:`WorkerError`."""
        task = _Task(kind, payload, deadline, files=files)
        with self._cond:
            if self._closed:
                raise RuntimeError("pool is closed")
            self._queues.setdefault(kind, deque()).append(task)
            if len(self._threads) < self.size:
                thread = threading.Thread(target=self._serve, daemon=True,
                                          name=f"worker-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
            self._cond.notify()
        return task.future

    def _next(self, current: str | None) -> _Task | None:
        """The next batch for a worker serving ``current`` (called with the lock held)."""
        while True:
            if current is not None and self._queues.get(current):
                return self._queues[current].popleft()
            waiting = [k for k, q in self._queues.items()
                       if q and self._serving.get(k, 0) < self.limits.get(k, self.size)]
            if waiting:
                kind = min(waiting, key=lambda k: (self._serving.get(k, 0),
                                                   -len(self._queues[k])))
                return self._queues[kind].popleft()
            if self._closed:
                return None
            self._cond.wait()

    def _retire_ready(self) -> None:
        """Stop one prestarted worker (of another tool) before starting a process here."""
        with self._cond:
            victim = next((workers.pop() for workers in self._ready.values() if workers), None)
        if victim is not None:
            victim.kill()

    def _take_ready(self, kind: str) -> _Worker | None:
        with self._cond:
            ready = self._ready.get(kind)
            return ready.pop() if ready else None

    def _serve(self) -> None:
        worker: _Worker | None = None
        current: str | None = None
        try:
            while True:
                with self._cond:
                    task = self._next(current)
                    if task is None:
                        return
                    if task.kind != current:
                        if current is not None:
                            self._serving[current] -= 1
                        current = task.kind
                        self._serving[current] = self._serving.get(current, 0) + 1
                        switch = True
                    else:
                        switch = False
                if not task.future.set_running_or_notify_cancel():
                    continue
                if switch and worker is not None:
                    worker.kill()  # never one process holding both tools
                    worker = None
                if worker is None:
                    worker = self._take_ready(task.kind)
                if worker is None:
                    self._retire_ready()  # never more processes than `size`
                    try:
                        worker = _Worker(preload=task.kind)
                    except OSError as exc:
                        task.future.set_exception(
                            WorkerError(f"could not start a worker: {exc}"))
                        continue
                worker = self._run(worker, task)
        finally:
            if worker is not None:
                # Workers hold no state worth a graceful exit (an interpreter tearing down
                # bandit and detect-secrets takes longer than a one-file hook's whole scan).
                worker.kill()

    def _run(self, worker: _Worker, task: _Task) -> _Worker | None:
        """Run one batch; returns the worker if it may take another."""
        request = {"id": next(self._ids), "kind": task.kind, **task.payload}
        try:
            answer = worker.call(request, task.deadline)
        except TimeoutError:
            worker.kill()
            task.future.set_exception(WorkerError("timed out"))
            return None
        except (WorkerError, ValueError) as exc:
            worker.kill()
            task.future.set_exception(exc if isinstance(exc, WorkerError)
                                      else WorkerError(f"bad answer from worker: {exc}"))
            return None
        if answer.get("ok"):
            task.future.set_result(answer["result"])
        else:
            task.future.set_exception(WorkerError(str(answer.get("error"))))
        if self.progress is not None:
            self.progress(task.kind, task.files)
        if int(answer.get("rss_kb", 0)) > MAX_WORKER_RSS_KB:
            worker.kill()
            return None
        return worker

    def terminate(self) -> None:
        """Stop now: queued batches are dropped and every worker process is killed."""
        with self._cond:
            self._closed = True
            for queue in self._queues.values():
                for task in queue:
                    task.future.cancel()
                queue.clear()
            self._cond.notify_all()
        terminate_all()

    def close(self) -> None:
        """Stop the workers after the queued batches (call once the scan is over)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            threads = list(self._threads)
            ready = [w for workers in self._ready.values() for w in workers]
            self._ready.clear()
        for thread in threads:
            thread.join(timeout=10)
        for worker in ready:  # prestarted workers that never got a batch
            worker.kill()
