"""The worker's pass for defect reports: each pending report sent to the city's 311 system
as an Open311 GeoReport v2 service request (``POST {endpoint}/requests.json``), retried on
a backoff when 311 is away or busy, its ``service_request_id`` kept (or its ``token``
exchanged for one later, as the spec allows), and the status of open requests polled back
(``GET {endpoint}/requests.json?service_request_id=…``).

As with webhooks (``webhooks.worker``): short transactions only, a lease on each claimed
report (``SKIP LOCKED``: several workers share the work), the HTTP request made with no
transaction open, the outcome recorded only while the lease holds."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from csoapi.core import audit
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.models import utcnow
from csoapi.defects.models import Defect
from csoapi.defects.repository import DefectRepository
from csoapi.defects.service import defect_event

log = logging.getLogger("csoapi.defects")
# Seconds before the 2nd, 3rd, … try; after the last, the report is ``failed``.
BACKOFF: tuple[float, ...] = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
RETRIED = {408, 425, 429, 500, 502, 503, 504}
TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Sending:
    defect_id: uuid.UUID
    token: uuid.UUID
    form: dict[str, str] | None  # None: nothing to send (no service code for its kind)
    problem: str | None = None


@dataclass(frozen=True)
class Answer:
    request_id: str | None = None
    token: str | None = None
    error: str | None = None
    retry: bool = False


class Forwarder:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = utcnow,
        backoff: Sequence[float] = BACKOFF,
        batch: int = 10,
    ) -> None:
        if not settings.open311_endpoint:
            raise ValueError("CSOAPI_OPEN311_ENDPOINT is not set")
        self.sessions = sessions
        self.settings = settings
        self.base = settings.open311_endpoint.rstrip("/")
        self.http = http or httpx.Client(follow_redirects=False, trust_env=False)
        self.clock = clock
        self.backoff = tuple(backoff)
        self.batch = batch
        self.ctx = RequestContext(
            principal=None,
            request_id=f"open311-{uuid.uuid4().hex[:12]}",
            source_ip=None,
            settings=settings,
        )

    def run_once(self) -> int:
        """Forward one batch, then poll one batch; how many reports were touched."""
        return self.forward() + self.poll()

    # -- forwarding --------------------------------------------------------------------------
    def forward(self) -> int:
        claimed = self.claim()
        for job in claimed:
            answer = Answer(error=job.problem) if job.form is None else self.send(job.form)
            self.record(job, answer)
        return len(claimed)

    def claim(self) -> list[Sending]:
        token, now = uuid.uuid4(), self.clock()
        until = now + timedelta(seconds=TIMEOUT_SECONDS * self.batch + 60)
        with self.sessions() as session, session.begin():
            rows = DefectRepository(session).claim_due(now, self.batch, until, token)
            return [self._sending(d, token) for d in rows]

    def _sending(self, d: Defect, token: uuid.UUID) -> Sending:
        code = self.settings.open311_service_codes.get(d.kind)
        if code is None:
            return Sending(d.id, token, None, f"no 311 service code for kind {d.kind}")
        form = {"service_code": code, "description": d.description[:4000]}
        if d.lat is not None and d.lon is not None:
            form |= {"lat": repr(d.lat), "long": repr(d.lon)}
        if d.address:
            form["address_string"] = d.address
        key = self.settings.open311_api_key
        if key is not None:
            form["api_key"] = key.get_secret_value()
        if self.settings.open311_jurisdiction_id:
            form["jurisdiction_id"] = self.settings.open311_jurisdiction_id
        return Sending(d.id, token, form)

    def send(self, form: dict[str, str]) -> Answer:
        try:
            r = self.http.post(f"{self.base}/requests.json", data=form, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            return Answer(error=f"{type(exc).__name__}: {exc}"[:500], retry=True)
        if r.status_code not in (200, 201):
            return Answer(
                error=f"311 answered {r.status_code}: {_said(r)}"[:500],
                retry=r.status_code in RETRIED,
            )
        first = _first(r)
        if first is None:
            return Answer(error="311 answered with no service request", retry=True)
        rid, tok = first.get("service_request_id"), first.get("token")
        if not rid and not tok:
            return Answer(error="311 answered with neither an id nor a token", retry=True)
        return Answer(request_id=str(rid) if rid else None, token=str(tok) if tok else None)

    def record(self, job: Sending, answer: Answer) -> None:
        now = self.clock()
        with self.sessions() as session, session.begin():
            d = DefectRepository(session).leased(job.defect_id, job.token)
            if d is None:  # the lease ran out and another worker has it
                return
            d.lease_token = d.lease_until = None
            d.attempts += 1
            if answer.error is None:
                d.forwarding, d.forwarded_at, d.last_error = "forwarded", now, None
                d.service_request_id, d.open311_token = answer.request_id, answer.token
                d.status, d.next_attempt_at, d.polled_at = "open", None, now
                self._changed(session, d, "defect.forwarded", {"attempts": d.attempts})
            elif answer.retry and d.attempts <= len(self.backoff):
                d.last_error = answer.error
                d.next_attempt_at = now + timedelta(seconds=self.backoff[d.attempts - 1])
                session.flush()
            else:
                d.forwarding, d.last_error, d.next_attempt_at = "failed", answer.error, None
                self._changed(session, d, "defect.failed", {"error": answer.error})

    # -- polling -----------------------------------------------------------------------------
    def poll(self) -> int:
        now = self.clock()
        before = now - timedelta(seconds=self.settings.open311_poll_seconds)
        with self.sessions() as session, session.begin():
            rows = DefectRepository(session).to_poll(before, 50)
            for d in rows:  # the claim: other workers skip these until the next interval
                d.polled_at = now
            wanted = [(d.id, d.service_request_id, d.open311_token) for d in rows]
        if not wanted:
            return 0
        ids = {rid: did for did, rid, _ in wanted if rid}
        tokens = {tok: did for did, rid, tok in wanted if not rid and tok}
        # 311's answers, by the service request id or token they were asked about
        found = {**self._by_ids(list(ids)), **self._by_tokens(list(tokens))}
        with self.sessions() as session, session.begin():
            repo = DefectRepository(session)
            for asked, item in found.items():
                d = repo.get(ids.get(asked) or tokens[asked], for_update=True)
                if d is not None:
                    self._update(session, d, item, now)
        return len(wanted)

    def _by_ids(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        params = {"service_request_id": ",".join(ids)}
        if self.settings.open311_jurisdiction_id:
            params["jurisdiction_id"] = self.settings.open311_jurisdiction_id
        items = self._get(f"{self.base}/requests.json", params)
        return {str(i["service_request_id"]): i for i in items if i.get("service_request_id")}

    def _by_tokens(self, tokens: list[str]) -> dict[str, dict[str, Any]]:
        out = {}
        for tok in tokens:
            items = self._get(f"{self.base}/tokens/{tok}.json", {})
            if items and items[0].get("service_request_id"):
                out[tok] = {"service_request_id": str(items[0]["service_request_id"])}
        return out

    def _get(self, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
        try:
            r = self.http.get(url, params=params, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            log.warning("311 poll failed: %s", exc)
            return []
        if r.status_code != 200:
            log.warning("311 poll answered %s", r.status_code)
            return []
        try:
            items = r.json()
        except ValueError:
            return []
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def _update(self, session: Session, d: Defect, item: dict[str, Any], now: datetime) -> None:
        if d.service_request_id is None and item.get("service_request_id"):
            d.service_request_id = str(item["service_request_id"])
            d.open311_token = None
            self._changed(session, d, "defect.status_changed", {"service_request_id": True})
            return
        status = item.get("status")
        notes = item.get("status_notes")
        notes = str(notes)[:2000] if notes else None
        if status not in ("open", "closed") or (status, notes) == (d.status, d.status_notes):
            return
        d.status, d.status_notes = status, notes
        d.closed_at = now if status == "closed" else None
        self._changed(session, d, "defect.status_changed", {"status": status})

    def _changed(self, session: Session, d: Defect, type_: str, detail: dict[str, Any]) -> None:
        d.touch()
        session.flush()
        audit.record(session, self.ctx, type_, entity_type="defect", entity_id=d.id, detail=detail)
        defect_event(session, type_, d)


def _first(r: httpx.Response) -> dict[str, Any] | None:
    try:
        data = r.json()
    except ValueError:
        return None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    return None


def _said(r: httpx.Response) -> str:
    first = _first(r)
    if first and first.get("description"):
        return str(first["description"])
    return r.text[:200]
