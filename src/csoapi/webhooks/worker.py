"""``csoapi worker``: fans outbox events out into deliveries and delivers them.

Each step is its own short transaction, so several workers (on several machines) run side by
side: fan-out locks an endpoint (others skip it, ``SKIP LOCKED``), a claim leases due
deliveries (others skip them), the HTTP request runs with no transaction open, and the
outcome is recorded only while the lease holds. A worker that dies mid-batch leaves leases
that run out, and its deliveries come due again: at least once, never lost. A delivery waits
until every earlier delivery of the same resource to the same endpoint is done: ordered per
resource. SQLite serializes writers; run one worker there.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from csoapi.clients.models import ApiClient
from csoapi.core import audit
from csoapi.core.config import Settings
from csoapi.core.context import RequestContext
from csoapi.core.events import OutboxEvent, encode_position
from csoapi.core.models import utcnow
from csoapi.core.scopes import scopes_for
from csoapi.webhooks import signing, targets
from csoapi.webhooks.matching import body, receives
from csoapi.webhooks.models import WebhookAttempt, WebhookEndpoint
from csoapi.webhooks.policy import Policy, load, retry_after
from csoapi.webhooks.repository import DeliveryRepository, EndpointRepository, purge_before
from csoapi.webhooks.service import new_delivery

log = logging.getLogger("csoapi.webhooks")
THROTTLED = {429, 502, 503, 504}
USER_AGENT = "csoapi-webhooks/1"
PURGE_EVERY_SECONDS = 600


@dataclass(frozen=True)
class Job:
    delivery_id: int
    token: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: list[str]
    msg_id: str
    position: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        policy: Policy | None = None,
        http: httpx.Client | None = None,
        resolver: targets.Resolver = targets.system_resolver,
        clock: Callable[[], datetime] = utcnow,
        batch: int = 10,
        concurrency: int = 4,
        lease_seconds: float | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.policy = policy or load()
        self.http = http or httpx.Client(follow_redirects=False, trust_env=False)
        self.resolver = resolver
        self.clock = clock
        self.batch = batch
        # Requests of a batch in flight at once: past a few, threads only take turns on the
        # interpreter lock (measured: 4 sent 1.4x as many a second as 1 to a local receiver,
        # 16 fewer than 4); run more workers for more.
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")
        # How long a claimed batch stays this worker's: by default every request of the
        # batch at the receivers' timeout, and a minute. A worker that dies holding a batch
        # leaves it untried that long; ``lease_seconds`` shortens it (a worker restarted at
        # once by its supervisor). Never shorter than one request may take: a lease that
        # runs out mid-request lets another worker send the delivery again (still at least
        # once; the receiver then sees it twice).
        timeout = self.policy.timeout_seconds
        if lease_seconds is not None and lease_seconds <= timeout:
            raise ValueError(f"a lease must outlast a request's timeout ({timeout:g} s)")
        self.lease = timedelta(seconds=lease_seconds or batch * timeout + 60)
        self.ctx = RequestContext(
            principal=None,
            request_id=f"worker-{uuid.uuid4().hex[:12]}",
            source_ip=None,
            settings=settings,
        )

    # -- one pass ----------------------------------------------------------------------------
    def run_once(self) -> int:
        """Fan out, then deliver one claimed batch; the number of deliveries attempted."""
        self.fan_out()
        jobs = self.claim()
        if jobs:
            # A batch holds at most one delivery per resource and endpoint (the claim's
            # rule), so its requests may run at once without reordering anything.
            outcomes = list(self.pool.map(self.send, jobs))
            self.record(list(zip(jobs, outcomes, strict=True)))
        return len(jobs)

    def purge(self, limit: int = 10_000) -> tuple[int, int]:
        """The event log's retention (``CSOAPI_EVENT_RETENTION_DAYS``): events past it, and
        the finished deliveries made before it, removed (a batch at a time)."""
        cutoff = self.clock() - timedelta(days=self.settings.event_retention_days)
        with self.sessions() as session, session.begin():
            return purge_before(session, cutoff, limit)

    def run(
        self,
        stop: threading.Event,
        idle_seconds: float = 1.0,
        also: Sequence[Callable[[], int]] = (),
    ) -> None:
        """Pass after pass until ``stop``; ``also``: the other passes of the one worker
        process (forwarding defect reports to 311), each returning how much it did."""
        next_purge = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_purge:
                    self.purge()
                    next_purge = time.monotonic() + PURGE_EVERY_SECONDS
                busy = self.run_once()
            except Exception:  # a database that is away: log, wait, try again
                log.exception("webhook worker pass failed")
                busy = 0
            for other in also:
                try:
                    busy += other()
                except Exception:
                    log.exception("worker pass %s failed", getattr(other, "__qualname__", other))
            if not busy:
                stop.wait(idle_seconds)

    def fan_out(self, limit: int = 500) -> int:
        made = 0
        with self.sessions() as session, session.begin():
            endpoints = EndpointRepository(session)
            deliveries = DeliveryRepository(session)
            now = self.clock()
            for endpoint in endpoints.active_for_fanout(limit=100):
                client = session.get(ApiClient, endpoint.client_id)
                scopes = scopes_for(client.kind) if client and client.active else frozenset()
                batch = endpoints.events_after(endpoint.cursor_txid, endpoint.cursor_row, limit)
                for event in batch:
                    if receives(endpoint.event_types, scopes, event.type, event.read_scope):
                        deliveries.add(new_delivery(endpoint.id, event, now), flush=False)
                        made += 1
                if batch:
                    endpoint.cursor_txid, endpoint.cursor_row = batch[-1].txid, batch[-1].id or 0
            session.flush()
        return made

    def claim(self) -> list[Job]:
        token = uuid.uuid4()
        with self.sessions() as session, session.begin():
            now = self.clock()
            repo = DeliveryRepository(session)
            rows = repo.claim(now, self.batch, now + self.lease, token)
            endpoints = repo.endpoints_of(rows)
            found = repo.events_of(rows)
            jobs = []
            for row in rows:
                endpoint, event = endpoints[row.endpoint_id], found.get(row.event_row)
                if event is None:  # purged past retention while it waited
                    row.status, row.last_error = "dead", "the event is past retention"
                    row.lease_token = row.lease_until = None
                    continue
                jobs.append(self._job(row.id or 0, token, endpoint, event, now))
        return jobs

    def _job(
        self, delivery_id: int, token: uuid.UUID, e: WebhookEndpoint, ev: OutboxEvent, now: datetime
    ) -> Job:
        secrets = [e.secret]
        if e.previous_secret and e.previous_secret_until and e.previous_secret_until > now:
            secrets.append(e.previous_secret)
        return Job(
            delivery_id=delivery_id,
            token=token,
            endpoint_id=e.id,
            url=e.url,
            secrets=secrets,
            msg_id=str(ev.event_id),
            position=encode_position(ev.txid, ev.id or 0),
            body=body(ev.type, ev.occurred_at, ev.payload),
        )

    # -- the request -------------------------------------------------------------------------
    def send(self, job: Job) -> Outcome:
        started = time.monotonic()
        try:
            target = targets.resolve(
                job.url,
                allow_private=self.settings.webhook_allow_private,
                https_only=self.settings.env == "production",
                resolver=self.resolver,
            )
        except targets.TargetRefused as refused:
            return Outcome(None, 0, f"refused: {refused.code}")
        stamp = int(self.clock().timestamp())
        headers = signing.headers(job.secrets, job.msg_id, stamp, job.body)
        headers |= {
            "host": target.host_header,
            "user-agent": USER_AGENT,
            "csoapi-event-position": job.position,
        }
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        try:
            response = self.http.post(
                target.url,
                content=job.body,
                headers=headers,
                timeout=self.policy.timeout_seconds,
                extensions=extensions,
            )
        except httpx.TimeoutException:
            return Outcome(None, _ms(started), "timeout")
        except httpx.HTTPError as exc:
            return Outcome(None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
        wait = None
        if response.status_code in THROTTLED:
            wait = retry_after(response.headers.get("retry-after"), self.clock())
        return Outcome(response.status_code, _ms(started), None, wait)

    # -- what an attempt leaves ------------------------------------------------------------
    def record(self, done: list[tuple[Job, Outcome]]) -> None:
        """A batch's outcomes in one transaction, for the deliveries whose lease still
        holds. An endpoint's row is locked only when its state changes (a failure, or a
        success after failures): the happy path of several workers shares nothing."""
        if not done:
            return
        with self.sessions() as session, session.begin():
            repo = DeliveryRepository(session)
            token = done[0][0].token
            held = {d.id: d for d in repo.leased([j.delivery_id for j, _ in done], token)}
            now = self.clock()
            endpoints = self._endpoints_to_change(
                session, [(j, o) for j, o in done if j.delivery_id in held]
            )
            for job, outcome in done:
                row = held.get(job.delivery_id)
                if row is None:
                    continue  # the lease ran out and another worker has the delivery now
                self._attempted(repo, row, outcome, now)
                endpoint = endpoints.get(job.endpoint_id)
                self._settle(session, row, endpoint, outcome, now)

    def _endpoints_to_change(self, session: Session, done: list[tuple[Job, Outcome]]):  # type: ignore[no-untyped-def]
        repo = EndpointRepository(session)
        ids = {j.endpoint_id for j, _ in done}
        failing = {j.endpoint_id for j, o in done if not o.ok}
        recovering = set(repo.failing_among(ids - failing))
        return repo.lock_many(sorted(failing | recovering))

    def _attempted(self, repo: DeliveryRepository, row, outcome: Outcome, now: datetime) -> None:  # type: ignore[no-untyped-def]
        row.attempts += 1
        row.last_status_code, row.last_error = outcome.status_code, outcome.error
        row.lease_token = row.lease_until = None
        repo.add(
            WebhookAttempt(
                delivery_id=row.id,
                attempted_at=now,
                status_code=outcome.status_code,
                latency_ms=outcome.latency_ms,
                error=outcome.error,
            ),
            flush=False,
        )

    def _settle(self, session: Session, row, endpoint, outcome: Outcome, now: datetime) -> None:  # type: ignore[no-untyped-def]
        if outcome.ok:
            row.status, row.delivered_at = "succeeded", now
            if endpoint is not None:
                endpoint.failing_since = None
            return
        if outcome.status_code == 410:
            row.status = "dead"
            self._disable(session, endpoint, "the receiver answered 410 Gone", now)
            return
        delay = self.policy.next_delay(row.attempts, outcome.retry_after)
        if delay is None:
            row.status = "dead"
        else:
            row.status, row.next_attempt_at = "pending", now + timedelta(seconds=delay)
        endpoint.failing_since = endpoint.failing_since or now
        failing = now - endpoint.failing_since
        if failing >= timedelta(days=self.policy.disable_after_failing_days):
            why = f"every delivery failed for {failing.days} days"
            self._disable(session, endpoint, why, now)

    def _disable(
        self, session: Session, endpoint: WebhookEndpoint, why: str, now: datetime
    ) -> None:
        if endpoint.status == "disabled":
            return
        endpoint.status, endpoint.disabled_reason, endpoint.disabled_at = "disabled", why, now
        endpoint.touch()
        session.flush()
        audit.record(
            session,
            self.ctx,
            "webhook.disabled",
            entity_type="webhook_endpoint",
            entity_id=endpoint.id,
            detail={"reason": why},
        )
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, why)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
