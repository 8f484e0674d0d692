"""Defect reports over HTTP, their photos (EXIF gone), and their forwarding to a real local
Open311 GeoReport v2 receiver by the worker: failures and backoff, the id recorded, a token
exchanged, permanent refusals, and the status polled back until closed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin

from csoapi.core.db import make_session_factory
from csoapi.core.events import OutboxEvent
from csoapi.defects.forwarder import Forwarder
from csoapi.main import create_app
from tests.conftest import make_settings
from tests.defects.georeport import GeoReport
from tests.factories import assert_problem, everyone

URL = "/api/v1/defects"
CODES = {"parking_meter": "PM-01", "sign": "SG-02", "signal": "TS-03", "streetlight": "SL-04"}


@pytest.fixture(scope="module")
def geo():
    with GeoReport() as g:
        yield g


@pytest.fixture(scope="module")
def settings(database, geo):
    return make_settings(
        database.url,
        open311_endpoint=geo.url,
        open311_api_key="k3y",
        open311_service_codes=CODES,
        open311_poll_seconds=600,
        defect_photo_max_bytes=60_000,
        defect_photos_max=3,
    )


@pytest.fixture(scope="module")
def app(database, settings):
    return create_app(settings, engine=database.engine)


@pytest.fixture
def fresh(geo):
    geo.posts.clear()
    geo.gets.clear()
    geo.requests.clear()
    geo.tokens.clear()
    geo.script = lambda n, form: None
    return geo


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def forwarder(database, settings, clock, backoff=(10, 20)) -> Forwarder:
    return Forwarder(make_session_factory(database.engine), settings, clock=clock, backoff=backoff)


def body(**overrides):
    b = {
        "kind": "parking_meter",
        "location": {"address": "900 Sunrise Ave", "lat": 38.6804, "lon": -121.2769},
        "description": "Meter 114 takes coins but shows no time",
    }
    return b | overrides


async def report(client, headers, **overrides):
    r = await client.post(URL, json=body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def jpeg_with_exif(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "OwnerPhone 1.0"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (38.0, 40.0, 49.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_who_may_report_and_read(client, db, settings, fresh):
    who = everyone(db, settings)
    assert_problem(await client.post(URL, json=body()), 401)
    for role in ("records", "admin", "cad", "payment_portal"):
        assert_problem(await client.post(URL, json=body(), headers=who[role].headers), 403)
    for role in ("admin", "cad", "payment_portal"):
        assert_problem(await client.get(URL, headers=who[role].headers), 403)
    d = await report(client, who["cso"].headers)
    assert (d["forwarding"], d["status"], d["service_request_id"]) == ("pending", None, None)
    assert d["reported_by"] == who["cso"].id and d["photos"] == []
    for role in ("cso", "sergeant", "records"):
        r = await client.get(f"{URL}/{d['id']}", headers=who[role].headers)
        assert r.status_code == 200 and r.json()["id"] == d["id"]
    listed = await client.get(f"{URL}?forwarding=pending", headers=who["records"].headers)
    assert [i["id"] for i in listed.json()["items"]] == [d["id"]]
    ev = db.scalars(sa.select(OutboxEvent).where(OutboxEvent.entity_id == d["id"])).one()
    assert ev.type == "defect.reported" and "Meter 114" not in str(ev.payload)


async def test_report_refusals(client, db, settings, fresh):
    cso = everyone(db, settings)["cso"].headers
    for bad in (
        {"kind": "pothole"},
        {"location": {}},
        {"location": {"lat": 38.6}},
        {"location": {"lat": 91, "lon": 0}},
        {"description": " "},
        {"call_id": "not-a-uuid"},
    ):
        assert_problem(await client.post(URL, json=body(**bad), headers=cso), 422)
    r = await client.post(
        URL, json=body(call_id="00000000-0000-4000-8000-000000000000"), headers=cso
    )
    assert_problem(r, 422, "unknown_call")
    only_address = body(location={"address": "Sunrise Ave & Greenback Ln"})
    assert (await client.post(URL, json=only_address, headers=cso)).status_code == 201


async def test_photos_lose_their_metadata(client, db, settings, fresh):
    who = everyone(db, settings)
    cso = who["cso"].headers
    d = await report(client, cso)
    photos = f"{URL}/{d['id']}/photos"
    raw = jpeg_with_exif()
    assert b"SecretCam" in raw
    assert_problem(
        await client.post(photos, content=raw, headers={"content-type": "image/jpeg"}), 401
    )
    r = await client.post(
        photos, content=raw, headers=who["records"].headers | {"content-type": "image/jpeg"}
    )
    assert_problem(r, 403)
    r = await client.post(photos, content=raw, headers=cso | {"content-type": "image/jpeg"})
    assert r.status_code == 201, r.text
    meta = r.json()
    assert (meta["width"], meta["height"]) == (48, 64)  # turned upright by its orientation
    stored = await client.get(f"{photos}/{meta['id']}", headers=who["records"].headers)
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert b"SecretCam" not in stored.content and b"OwnerPhone" not in stored.content
    assert b"Exif" not in stored.content
    image = Image.open(io.BytesIO(stored.content))
    assert image.format == "JPEG" and len(image.getexif()) == 0 and image.size == (48, 64)
    assert len(stored.content) == meta["size_bytes"]
    # A PNG's text chunks go too.
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Q. Photographer")
    png = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(png, format="PNG", pnginfo=info)
    r = await client.post(
        photos, content=png.getvalue(), headers=cso | {"content-type": "image/png"}
    )
    assert r.status_code == 201, r.text
    stored = await client.get(f"{photos}/{r.json()['id']}", headers=cso)
    assert b"Jane Q." not in stored.content and Image.open(io.BytesIO(stored.content)).text == {}
    read = (await client.get(f"{URL}/{d['id']}", headers=cso)).json()
    assert [p["content_type"] for p in read["photos"]] == ["image/jpeg", "image/png"]


async def test_photo_refusals(client, db, settings, fresh):
    cso = everyone(db, settings)["cso"].headers
    d = await report(client, cso)
    photos = f"{URL}/{d['id']}/photos"

    async def send(data: bytes, kind: str):
        return await client.post(photos, content=data, headers=cso | {"content-type": kind})

    assert_problem(await send(b"GIF89a...", "image/gif"), 415, "unsupported_media_type")
    assert_problem(await send(b"not an image at all", "image/jpeg"), 422, "photo_unreadable")
    assert_problem(await send(jpeg_with_exif()[:200], "image/jpeg"), 422, "photo_unreadable")
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    assert_problem(await send(png.getvalue(), "image/jpeg"), 422, "photo_type_mismatch")
    assert_problem(await send(b"", "image/png"), 422, "photo_empty")
    noise = io.BytesIO()
    Image.effect_noise((300, 300), 100).convert("RGB").save(noise, format="JPEG", quality=95)
    assert len(noise.getvalue()) > 60_000
    assert_problem(await send(noise.getvalue(), "image/jpeg"), 413, "photo_too_large")
    missing = f"{URL}/00000000-0000-4000-8000-000000000000/photos"
    r = await client.post(
        missing, content=png.getvalue(), headers=cso | {"content-type": "image/png"}
    )
    assert_problem(r, 404)
    for _ in range(3):
        assert (await send(png.getvalue(), "image/png")).status_code == 201
    assert_problem(await send(png.getvalue(), "image/png"), 409, "too_many_photos")


async def test_forwarded_with_retries_then_polled_until_closed(
    client, db, database, settings, fresh
):
    who = everyone(db, settings)
    d = await report(client, who["cso"].headers)
    fresh.script = lambda n, form: (503, [{"code": 503, "description": "busy"}]) if n <= 2 else None
    clock = Clock()
    fw = forwarder(database, settings, clock)
    assert fw.forward() == 1
    read = lambda: client.get(f"{URL}/{d['id']}", headers=who["cso"].headers)  # noqa: E731
    r = (await read()).json()
    assert (r["forwarding"], r["attempts"]) == ("pending", 1) and "503" in r["last_error"]
    assert r["next_attempt_at"] == (clock.now + timedelta(seconds=10)).isoformat().replace(
        "+00:00", "Z"
    )
    assert fw.forward() == 0  # not due yet
    clock.advance(10)
    assert fw.forward() == 1
    assert (await read()).json()["attempts"] == 2
    clock.advance(19)
    assert fw.forward() == 0  # the second wait is longer
    clock.advance(1)
    assert fw.forward() == 1
    r = (await read()).json()
    assert (r["forwarding"], r["attempts"], r["status"]) == ("forwarded", 3, "open")
    assert r["service_request_id"] == "SR-3" and r["last_error"] is None
    assert fresh.posts[-1] == {
        "service_code": "PM-01",
        "description": "Meter 114 takes coins but shows no time",
        "lat": "38.6804",
        "long": "-121.2769",
        "address_string": "900 Sunrise Ave",
        "api_key": "k3y",
    }
    assert len(fresh.posts) == 3
    # Polled back: nothing until the interval has passed, then 311's status and notes.
    assert fw.poll() == 0
    fresh.close("SR-3", "Meter head replaced")
    clock.advance(601)
    assert fw.poll() == 1
    r = (await read()).json()
    assert (r["status"], r["status_notes"]) == ("closed", "Meter head replaced")
    assert r["closed_at"] is not None
    clock.advance(601)
    assert fw.poll() == 0  # closed: asked no more
    assert any("service_request_id=SR-3" in g for g in fresh.gets)
    types = db.scalars(
        sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == d["id"]).order_by(OutboxEvent.id)
    ).all()
    assert types == ["defect.reported", "defect.forwarded", "defect.status_changed"]
    assert_problem(
        await client.post(
            f"{URL}/{d['id']}/photos",
            content=b"x",
            headers=who["cso"].headers | {"content-type": "image/png"},
        ),
        409,
        "defect_sent",
    )


async def test_token_then_id(client, db, database, settings, fresh):
    cso = everyone(db, settings)["cso"].headers
    d = await report(client, cso, kind="streetlight")
    fresh.script = lambda n, form: (201, [{"token": "tok-1"}])
    clock = Clock()
    fw = forwarder(database, settings, clock)
    assert fw.forward() == 1
    r = (await client.get(f"{URL}/{d['id']}", headers=cso)).json()
    assert (r["forwarding"], r["service_request_id"]) == ("forwarded", None)
    fresh.tokens["tok-1"] = "SR-77"
    fresh.requests["SR-77"] = {
        "service_request_id": "SR-77",
        "status": "open",
        "status_notes": None,
    }
    assert fw.poll() == 0  # not before the interval
    clock.advance(601)
    assert fw.poll() == 1
    r = (await client.get(f"{URL}/{d['id']}", headers=cso)).json()
    assert r["service_request_id"] == "SR-77"
    assert "/open311/v2/tokens/tok-1.json" in fresh.gets


async def test_permanent_refusals_and_retry(client, db, database, settings, fresh):
    cso = everyone(db, settings)["cso"].headers
    unmapped = await report(client, cso, kind="road_obstruction")  # no service code for it
    refused = await report(client, cso, kind="sign")
    fresh.script = lambda n, form: (400, [{"code": 400, "description": "service_code retired"}])
    clock = Clock()
    fw = forwarder(database, settings, clock)
    assert fw.forward() == 2
    assert len(fresh.posts) == 1  # nothing was sent for the unmapped kind
    a = (await client.get(f"{URL}/{unmapped['id']}", headers=cso)).json()
    b = (await client.get(f"{URL}/{refused['id']}", headers=cso)).json()
    assert a["forwarding"] == "failed" and "road_obstruction" in a["last_error"]
    assert b["forwarding"] == "failed" and "service_code retired" in b["last_error"]
    assert_problem(
        await client.post(
            f"{URL}/{refused['id']}/retry", headers=everyone(db, settings)["records"].headers
        ),
        403,
    )
    fresh.script = lambda n, form: None
    r = await client.post(f"{URL}/{refused['id']}/retry", headers=cso)
    assert r.status_code == 200 and r.json()["forwarding"] == "pending"
    assert_problem(await client.post(f"{URL}/{refused['id']}/retry", headers=cso), 409)
    assert fw.forward() == 1
    b = (await client.get(f"{URL}/{refused['id']}", headers=cso)).json()
    assert (b["forwarding"], b["service_request_id"]) == ("forwarded", "SR-2")


async def test_gives_up_after_the_last_try(client, db, database, settings, fresh):
    cso = everyone(db, settings)["cso"].headers
    d = await report(client, cso)
    fresh.script = lambda n, form: (502, [])
    clock = Clock()
    fw = forwarder(database, settings, clock, backoff=(5,))
    assert fw.forward() == 1
    clock.advance(5)
    assert fw.forward() == 1
    r = (await client.get(f"{URL}/{d['id']}", headers=cso)).json()
    assert (r["forwarding"], r["attempts"]) == ("failed", 2)
    clock.advance(3600)
    assert fw.forward() == 0 and len(fresh.posts) == 2
    ev = db.scalars(sa.select(OutboxEvent.type).where(OutboxEvent.entity_id == d["id"])).all()
    assert "defect.failed" in ev


def test_worker_needs_an_endpoint(database):
    with pytest.raises(ValueError):
        Forwarder(make_session_factory(database.engine), make_settings(database.url))
