"""``csoapi serve`` started by a test as a process of its own: a free port, and the wait until
it answers ``/healthz`` (long: a loaded machine, two xdist workers, imports the app slowly)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(port: int, server: subprocess.Popen) -> int | None:
    """The status ``/healthz`` answered, or None: the server exited first, or never answered
    within ``STARTUP_SECONDS``."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as res:  # noqa: S310
                return res.status
        except OSError:
            if server.poll() is not None:
                return None
            time.sleep(0.1)
    return None
