"""The soak's mixed workload (``bench/soak.py``): one request per arrival, drawn by weight
from every domain, with the multi-step flows (a call created, updated, assigned; a report
drafted, submitted, approved; an impound towed, quoted, paid, released; an evidence item
taken in and moved; a referral sent and accepted) carried between arrivals in pools. A step
whose pool is empty builds its flow's first step instead, and an item is out of its pool
while its request is in flight, so no two requests touch one row at once and every answer
the mix expects is a 2xx: anything else is an error of the soak."""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

OWNER = {
    "owner": {"name": "Rosa Owner", "id_type": "CA DL", "id_number": "D1234567"},
    "proof_of_ownership": "current registration",
}
POOL_CAP = 2_000  # items waiting for their next step (the oldest are dropped beyond it)

# What the soak arranges through the API before the mix runs (bench/soak.py; the test too).
ORGANIZATION = {"name": "Harbor Outreach", "description": "Beds and meals for the night"}
ROOM = {"code": "SOAK1", "name": "Soak evidence room", "level": "room", "purpose": "evidence"}


def service_body(org_id: str) -> dict[str, Any]:
    return {"organization_id": org_id, "name": "Night shelter",
            "description": "Night shelter: beds and a meal", "categories": ["shelter"]}  # fmt: skip


def provider_body(org_id: str) -> dict[str, Any]:
    return {"name": "bench provider", "kind": "provider", "organization_id": org_id}


def shelf_body(room_id: str, i: int) -> dict[str, Any]:
    return {"code": f"SOAK1-S{i}", "name": f"Shelf {i}", "level": "shelf", "parent_id": room_id}


@dataclass
class World:
    """What the mix needs from the arranged database: ids, codes and plates."""

    cso_id: str
    locations: tuple[str, str]  # two evidence shelves items move between
    service_id: str
    org_id: str
    violation_codes: list[str]
    call_types: list[str]
    plates: list[tuple[str, str]]  # loaded plates, for issuing and portal lookups
    payable: list[str]  # open citations with room for one-cent payments
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])


@dataclass
class Req:
    op: str
    who: str  # the principal whose token it carries: cso, sergeant, records, cad, portal, ...
    method: str
    path: str
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Called with the answer's status, JSON body (or None) and headers, when it is a 2xx.
    then: Callable[[int, Any, Any], None] | None = None


class Mix:
    """Request builders over shared pools; ``next(rng)`` is the next arrival's request."""

    # (op, weight): each flow's steps weigh the same, so its pools neither fill nor starve.
    WEIGHTS: tuple[tuple[str, int], ...] = (
        ("call_create", 4), ("call_list", 3), ("call_update", 4), ("call_assign", 4),
        ("report_draft", 2), ("report_submit", 2), ("report_approve", 2),
        ("citation_issue", 4), ("portal_lookup", 6), ("portal_pay", 3),
        ("impound_create", 1), ("impound_fees", 1), ("impound_pay", 1), ("impound_release", 1),
        ("evidence_intake", 2), ("custody_move", 3),
        ("referral_create", 2), ("referral_accept", 2),
        ("stats_summary", 1),
    )  # fmt: skip

    def __init__(self, world: World) -> None:
        self.w = world
        self.n = 0
        self.pools: dict[str, deque[Any]] = {
            name: deque(maxlen=POOL_CAP)
            for name in ("calls", "assignable", "drafts", "submitted", "impounds", "quoted",
                         "paid_impounds", "items", "referrals")
        }  # fmt: skip
        self.ops, self.weights = zip(*self.WEIGHTS, strict=True)

    def next(self, rng: random.Random) -> Req:
        return self.build(rng.choices(self.ops, self.weights)[0], rng)

    def build(self, op: str, rng: random.Random) -> Req:
        self.n += 1
        req: Req = getattr(self, op)(rng)
        return req

    def _key(self, prefix: str) -> str:
        return f"soak-{prefix}-{self.w.run}-{self.n}"

    def _keep(self, pool: str, make: Callable[[Any, Any], Any]) -> Callable[[int, Any, Any], None]:
        def then(status: int, body: Any, headers: Any) -> None:
            self.pools[pool].append(make(body, headers))

        return then

    def _take(self, pool: str) -> Any | None:
        q = self.pools[pool]
        return q.popleft() if q else None

    # -- calls for service ---------------------------------------------------------------------
    def call_create(self, rng: random.Random) -> Req:
        key = self._key("call")
        body = {
            "source": "cad", "external_id": key, "call_type": rng.choice(self.w.call_types),
            "priority": rng.randint(1, 4),
            "location": {"address": f"{rng.randint(100, 9900)} MARKET ST",
                         "beat": str(rng.randint(111, 939))},
        }  # fmt: skip
        keep = self._keep("calls", lambda b, h: (b["id"], h["etag"]))
        return Req("call_create", "cad", "POST", "/api/v1/calls", body,
                   {"Idempotency-Key": key}, keep)  # fmt: skip

    def call_list(self, rng: random.Random) -> Req:
        status = rng.choice(("received", "dispatched", "cleared"))
        return Req("call_list", "cso", "GET", f"/api/v1/calls?status={status}&limit=25")

    def call_update(self, rng: random.Random) -> Req:
        got = self._take("calls")
        if got is None:
            return self.call_create(rng)
        call_id, etag = got
        body = {"priority": rng.randint(1, 4), "description": "Caller called back: still there"}
        keep = self._keep("assignable", lambda b, h: b["id"])
        return Req("call_update", "cso", "PATCH", f"/api/v1/calls/{call_id}", body,
                   {"If-Match": etag}, keep)  # fmt: skip

    def call_assign(self, rng: random.Random) -> Req:
        call_id = self._take("assignable")
        if call_id is None:
            return self.call_update(rng)
        body = {"assigned_to": self.w.cso_id}
        return Req("call_assign", "sergeant", "POST", f"/api/v1/calls/{call_id}/assign", body)

    # -- reports -------------------------------------------------------------------------------
    def report_draft(self, rng: random.Random) -> Req:
        body = {
            "kind": "incident",
            "narrative": f"Found property handed in at the front desk ({self._key('report')}).",
            "location": {"address": f"{rng.randint(100, 9900)} BROADWAY", "beat": "521"},
        }
        keep = self._keep("drafts", lambda b, h: b["id"])
        return Req("report_draft", "cso", "POST", "/api/v1/reports", body, then=keep)

    def report_submit(self, rng: random.Random) -> Req:
        report_id = self._take("drafts")
        if report_id is None:
            return self.report_draft(rng)
        keep = self._keep("submitted", lambda b, h: b["id"])
        return Req("report_submit", "cso", "POST", f"/api/v1/reports/{report_id}/submit",
                   then=keep)  # fmt: skip

    def report_approve(self, rng: random.Random) -> Req:
        report_id = self._take("submitted")
        if report_id is None:
            return self.report_submit(rng)
        return Req("report_approve", "sergeant", "POST", f"/api/v1/reports/{report_id}/approve")

    # -- citations -----------------------------------------------------------------------------
    def citation_issue(self, rng: random.Random) -> Req:
        plate, state = rng.choice(self.w.plates)
        body = {
            "plate": plate, "plate_state": state,
            "violation_code": rng.choice(self.w.violation_codes),
            "location": {"address": f"{rng.randint(100, 9900)} W 5TH ST",
                         "beat": str(rng.randint(111, 939))},
            "vehicle": {"make": "TOYT", "body": "PASSENGER CAR", "color": "SILVER"},
        }  # fmt: skip
        return Req("citation_issue", "cso", "POST", "/api/v1/citations", body,
                   {"Idempotency-Key": self._key("cite")})  # fmt: skip

    def portal_lookup(self, rng: random.Random) -> Req:
        plate, state = rng.choice(self.w.plates)
        return Req("portal_lookup", "portal", "GET",
                   f"/api/v1/citations/lookup?plate={plate}&plate_state={state}")  # fmt: skip

    def portal_pay(self, rng: random.Random) -> Req:
        key = self._key("pay")
        body = {"amount_cents": 1, "method": "card", "reference": key}
        path = f"/api/v1/citations/{rng.choice(self.w.payable)}/payments"
        return Req("portal_pay", "portal", "POST", path, body, {"Idempotency-Key": key})

    # -- impounds ------------------------------------------------------------------------------
    def impound_create(self, rng: random.Random) -> Req:
        # Plates of eight characters: the loaded ones have six or seven, so none of these has
        # an overdue citation that would block its release.
        plate = f"SK{self.n % 1_000_000:06d}"
        towed = datetime.now(UTC) - timedelta(hours=rng.randint(2, 30))
        body = {
            "vehicle": {"plate": plate, "plate_state": "CA", "make": "HOND", "color": "BLK"},
            "reason": "PARKING", "authority": "CVC 22651(i)",
            "towed_from": f"{rng.randint(100, 9900)} 3RD AVE", "tow_company": "Ace Towing",
            "storage_lot": "Main Lot", "towed_at": towed.isoformat(),
            "inventory": [{"item": "Child car seat"}],
        }  # fmt: skip
        keep = self._keep("impounds", lambda b, h: b["id"])
        return Req("impound_create", "cso", "POST", "/api/v1/impounds", body,
                   {"Idempotency-Key": self._key("tow")}, keep)  # fmt: skip

    def impound_fees(self, rng: random.Random) -> Req:
        impound_id = self._take("impounds")
        if impound_id is None:
            return self.impound_create(rng)
        keep = self._keep("quoted", lambda b, h: (impound_id, b["balance_cents"]))
        return Req("impound_fees", "records", "GET", f"/api/v1/impounds/{impound_id}/fees",
                   then=keep)  # fmt: skip

    def impound_pay(self, rng: random.Random) -> Req:
        got = self._take("quoted")
        if got is None:
            return self.impound_fees(rng)
        impound_id, balance = got
        body = {"amount_cents": balance, "method": "card"}
        keep = self._keep("paid_impounds", lambda b, h: impound_id)
        return Req("impound_pay", "records", "POST", f"/api/v1/impounds/{impound_id}/payments",
                   body, {"Idempotency-Key": self._key("tow-pay")}, keep)  # fmt: skip

    def impound_release(self, rng: random.Random) -> Req:
        impound_id = self._take("paid_impounds")
        if impound_id is None:
            return self.impound_pay(rng)
        return Req("impound_release", "records", "POST",
                   f"/api/v1/impounds/{impound_id}/release", OWNER)  # fmt: skip

    # -- evidence ------------------------------------------------------------------------------
    def evidence_intake(self, rng: random.Random) -> Req:
        at = datetime.now(UTC) - timedelta(minutes=rng.randint(5, 600))
        body = {
            "kind": "evidence", "category": rng.choice(("electronics", "documents", "tools")),
            "description": f"Item {self._key('item')}, bagged and sealed",
            "collected_at": at.isoformat(), "found_at": "1200 3RD AVE",
            "location_id": self.w.locations[0],
        }  # fmt: skip
        keep = self._keep("items", lambda b, h: (b["id"], 0))
        return Req("evidence_intake", "cso", "POST", "/api/v1/evidence", body,
                   {"Idempotency-Key": self._key("intake")}, keep)  # fmt: skip

    def custody_move(self, rng: random.Random) -> Req:
        got = self._take("items")
        if got is None:
            return self.evidence_intake(rng)
        item_id, at = got
        to = 1 - at
        body = {"action": "move", "to_location": self.w.locations[to], "reason": "Re-shelved"}
        keep = self._keep("items", lambda b, h: (item_id, to))
        return Req("custody_move", "cso", "POST", f"/api/v1/evidence/{item_id}/custody", body,
                   then=keep)  # fmt: skip

    # -- referrals -----------------------------------------------------------------------------
    def referral_create(self, rng: random.Random) -> Req:
        now = datetime.now(UTC)
        body = {
            "person": {"name": "Zebulon Quartermaine", "date_of_birth": "1961-04-02"},
            "needs": ["shelter"], "service_id": self.w.service_id, "status": "requested",
            "narrative": "Sleeps by the library; wants a bed tonight",
            "consent": {"type": "verbal", "purpose": "Connect with shelter and follow up",
                        "recipients": [self.w.org_id],
                        "at": (now - timedelta(minutes=5)).isoformat(),
                        "expires_at": (now + timedelta(days=30)).isoformat()},
        }  # fmt: skip
        keep = self._keep("referrals", lambda b, h: b["id"])
        return Req("referral_create", "cso", "POST", "/api/v1/referrals", body,
                   {"Idempotency-Key": self._key("refer")}, keep)  # fmt: skip

    def referral_accept(self, rng: random.Random) -> Req:
        referral_id = self._take("referrals")
        if referral_id is None:
            return self.referral_create(rng)
        return Req("referral_accept", "provider", "POST",
                   f"/api/v1/referrals/{referral_id}/status", {"status": "accepted"})  # fmt: skip

    # -- statistics ----------------------------------------------------------------------------
    def stats_summary(self, rng: random.Random) -> Req:
        end = datetime.now(UTC).replace(microsecond=0)
        start = end - timedelta(days=rng.choice((1, 7, 30)))
        q = f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")
        return Req("stats_summary", "sergeant", "GET", f"/api/v1/stats/summary?{q}")
