"""``csoapi serve`` started by a test as a process of its own: a free port, and the wait until
it answers ``/healthz`` (long: a loaded machine, two xdist workers, imports the app slowly);
and an app of the test's own served by uvicorn, as ``serve`` configures it, in a thread."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from csoapi.cli import server_options

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


@contextmanager
def served_in_thread(app: Any) -> Iterator[str]:
    """``app`` served over real HTTP on a free loopback port by uvicorn, with ``csoapi serve``'s
    options, in a thread of this process (no start-up of a process of its own); yields the
    base URL. The app's lifespan is not run: the test owns its engines."""
    port = free_port()
    options = server_options(app.state.settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="off", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, f"uvicorn did not start on port {port}"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
