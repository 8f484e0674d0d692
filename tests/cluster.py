"""Several ``csoapi serve`` and ``csoapi worker`` processes on one database, as a test starts
them: each API process on a ``free_port()``, waited for with ``wait_until_serving``; each
worker waited for until it says it runs. Every process gets the test's settings through
``CSOAPI_*`` variables (``environment``), so a token a test mints (``tests.factories``) is good
on every one, and writes its output to a log file of its own, which ``Cluster.logs`` shows.

``with Cluster(settings, folder, api=2, workers=2) as cluster:`` starts them all at once
(startup is seconds each on a loaded machine; in parallel it costs the slowest one) and stops
them all however the block ends: SIGTERM, then SIGKILL for any that has not exited within
``STOP_SECONDS``. On Linux each process also gets SIGTERM if the test process itself is
killed, when no finally can run. A test that kills one (``Process.signal``) or wants one
more (``Cluster.add_api``) uses the same pieces.
"""

from __future__ import annotations

import atexit
import ctypes
import enum
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from csoapi.core.config import Settings
from tests.servers import STARTUP_SECONDS, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
CSOAPI = Path(sys.executable).parent / "csoapi"
STOP_SECONDS = 20
PR_SET_PDEATHSIG = 1  # linux/prctl.h
WORKER_READY = "webhook worker"  # what `csoapi worker` says on stderr once it runs


def _env_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str | int | float | Path):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise TypeError(f"no CSOAPI_* spelling for {type(value).__name__} {value!r}")


def environment(settings: Settings) -> dict[str, str]:
    """The environment of a process that reads exactly these settings: this one's own without
    any CSOAPI_* variable of the caller's, and every setting given explicitly (not left to its
    default) as its CSOAPI_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSOAPI_")}
    for name in sorted(settings.model_fields_set):
        env[f"CSOAPI_{name.upper()}"] = _env_value(getattr(settings, name))
    env["CSOAPI_ALEMBIC_INI"] = str(ROOT / "alembic.ini")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Process:
    """One ``csoapi`` process: its name (``api-1``, ``worker-2``), the process, its log file,
    and for an API process the base URL it serves."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str | None = None
    _mark: int = field(default=0, repr=False)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int = signal.SIGKILL) -> None:
        if self.alive:
            self.popen.send_signal(sig)

    def cpu_seconds(self) -> float | None:
        """The CPU time (user and system) the running process has used so far (Linux /proc)."""
        try:
            stat = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def text(self, since_mark: bool = False) -> str:
        data = self.log.read_bytes() if self.log.exists() else b""
        return data[self._mark if since_mark else 0 :].decode(errors="replace")

    def mark(self) -> None:
        """What the log holds so far is old: ``text(since_mark=True)`` shows what follows."""
        self._mark = self.log.stat().st_size if self.log.exists() else 0


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: a child told (prctl PR_SET_PDEATHSIG) to get SIGTERM when the test process dies,
    even by SIGKILL, when no finally can run; otherwise nothing."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def launch(name: str, args: list[str], env: dict[str, str], folder: Path) -> Process:
    log = folder / f"{name}.log"
    with log.open("wb") as sink:
        popen = subprocess.Popen(  # noqa: S603 - our own entry point and arguments
            [str(CSOAPI), *args],
            env=env,
            cwd=folder,  # no .env of the tree's is read
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent(),  # noqa: PLW1509 - one prctl call, no locks taken
        )
    return Process(name, popen, log)


def _wait_api(proc: Process, port: int) -> str | None:
    if wait_until_serving(port, proc.popen) != 200:
        return f"{proc.name} did not come up (exit {proc.popen.poll()})"
    proc.url = f"http://127.0.0.1:{port}"
    return None


def _wait_worker(proc: Process) -> str | None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if WORKER_READY in proc.text():
            return None
        if not proc.alive:
            return f"{proc.name} exited ({proc.popen.returncode})"
        time.sleep(0.1)
    return f"{proc.name} did not start within {STARTUP_SECONDS} s"


class Cluster:
    """``api`` API processes and ``workers`` worker processes on ``settings.database_url`` (a
    migrated database), their logs in ``folder``; ``worker_args``: ``csoapi worker`` options."""

    def __init__(
        self,
        settings: Settings,
        folder: Path,
        *,
        api: int = 2,
        workers: int = 2,
        worker_args: tuple[str, ...] = ("--idle", "0.5"),
    ) -> None:
        self.settings = settings
        self.env = environment(settings)
        self.folder = folder
        self.wanted = (api, workers)
        self.worker_args = worker_args
        self.api: list[Process] = []
        self.workers: list[Process] = []
        self.startup_seconds = 0.0

    @property
    def processes(self) -> list[Process]:
        return [*self.api, *self.workers]

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.api if p.url]

    def start(self) -> Cluster:
        """Launch every process at once, then wait for all of them together."""
        started = time.monotonic()
        api, workers = self.wanted
        waits = [self._api(len(self.api) + 1) for _ in range(api)]
        waits += [self._worker(len(self.workers) + 1) for _ in range(workers)]
        with ThreadPoolExecutor(max_workers=len(waits) or 1) as pool:
            faults = [f for f in pool.map(lambda w: w(), waits) if f]
        self.startup_seconds = time.monotonic() - started
        if faults:
            self.stop()
            raise RuntimeError("; ".join(faults) + "\n" + self.logs())
        return self

    def _api(self, n: int):  # type: ignore[no-untyped-def]
        port = free_port()
        proc = launch(f"api-{n}", ["serve", "--port", str(port)], self.env, self.folder)
        self.api.append(proc)
        return lambda: _wait_api(proc, port)

    def _worker(self, n: int):  # type: ignore[no-untyped-def]
        proc = launch(f"worker-{n}", ["worker", *self.worker_args], self.env, self.folder)
        self.workers.append(proc)
        return lambda: _wait_worker(proc)

    def add_api(self) -> Process:
        """One more API process, started and serving (a replacement for a killed one)."""
        fault = self._api(len(self.api) + 1)()
        if fault:
            raise RuntimeError(fault + "\n" + self.logs())
        return self.api[-1]

    def dead(self) -> list[str]:
        """The processes that have exited, with their exit codes."""
        return [f"{p.name} exited {p.popen.returncode}" for p in self.processes if not p.alive]

    def mark(self) -> None:
        for p in self.processes:
            p.mark()

    def logs(self, since_mark: bool = False, tail: int = 4000) -> str:
        """Every process's log (the last ``tail`` characters of each), headed by its name."""
        parts = []
        for p in self.processes:
            text = p.text(since_mark)[-tail:]
            parts.append(f"----- {p.name} ({'running' if p.alive else 'exited'}) -----\n{text}")
        return "\n".join(parts)

    def stop(self) -> None:
        """SIGTERM to every process, then SIGKILL to those still running after STOP_SECONDS."""
        for p in self.processes:
            p.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for p in self.processes:
            try:
                p.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait(timeout=STOP_SECONDS)

    def __enter__(self) -> Cluster:
        atexit.register(self.stop)  # an interpreter exit that skips the finally below
        try:
            return self.start()
        except BaseException:
            self.stop()
            atexit.unregister(self.stop)
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            atexit.unregister(self.stop)
