"""A real Open311 GeoReport v2 receiver on 127.0.0.1 (a thread): it takes service requests
(``POST /requests.json``, form-encoded), answers them as a test scripts it (fail with a
status, give an id, or give a token), and serves their status (``GET /requests.json``,
``GET /tokens/{token}.json``) as the test changes it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SERVICES = {"PM-01", "SG-02", "TS-03", "SL-04"}
# (1-based POST number, form) -> (status, body); None: the default behaviour
Script = Callable[[int, dict[str, str]], tuple[int, Any] | None]


class GeoReport:
    def __init__(self) -> None:
        self.posts: list[dict[str, str]] = []
        self.gets: list[str] = []
        self.requests: dict[str, dict[str, Any]] = {}  # service_request_id -> its record
        self.tokens: dict[str, str | None] = {}  # token -> service_request_id once known
        self.script: Script = lambda n, form: None
        self.lock = threading.Lock()
        geo = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                with geo.lock:
                    geo.posts.append(form)
                    status, body = geo.answer(len(geo.posts), form, urlsplit(self.path).path)
                self.reply(status, body)

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                with geo.lock:
                    geo.gets.append(self.path)
                    status, body = geo.status_of(url.path, parse_qs(url.query))
                self.reply(status, body)

            def reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/open311/v2"

    def answer(self, n: int, form: dict[str, str], path: str) -> tuple[int, Any]:
        if path != "/open311/v2/requests.json":
            return 404, [{"code": 404, "description": "no such path"}]
        scripted = self.script(n, form)
        if scripted is not None:
            return scripted
        if form.get("api_key") != "k3y" or form.get("service_code") not in SERVICES:
            return 400, [{"code": 400, "description": "bad key or service_code"}]
        rid = f"SR-{n}"
        self.requests[rid] = {"service_request_id": rid, "status": "open", "status_notes": None}
        return 201, [{"service_request_id": rid, "service_notice": "", "account_id": None}]

    def status_of(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/open311/v2/requests.json":
            ids = query.get("service_request_id", [""])[0].split(",")
            return 200, [dict(self.requests[i]) for i in ids if i in self.requests]
        if path.startswith("/open311/v2/tokens/") and path.endswith(".json"):
            token = path.rsplit("/", 1)[1].removesuffix(".json")
            return 200, [{"service_request_id": self.tokens.get(token), "token": token}]
        return 404, [{"code": 404, "description": "no such path"}]

    def close(self, rid: str, notes: str) -> None:
        with self.lock:
            self.requests[rid] |= {"status": "closed", "status_notes": notes}

    def __enter__(self) -> GeoReport:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
