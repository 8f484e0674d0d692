"""The printable permit: a PDF whose text names the permit and whose QR code, read by an
independent decoder (zxing-cpp), is the permit's number; nothing of the holder on it."""

from __future__ import annotations

import io

import pypdf
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from csoapi.core.audit import AuditEvent
from tests.factories import assert_problem
from tests.permits.helpers import PERMITS, issue, open_zone, staff

NO_ID = "00000000-0000-4000-8000-000000000000"


async def test_print_pdf_with_qr_of_the_number(client, db, settings):
    who = staff(db, settings)
    await open_zone(client, who["records"].headers)
    p = await issue(client, who["records"].headers)
    url = f"{PERMITS}/{p['id']}/print"
    assert_problem(await client.get(url), 401)
    for role in ("admin", "cad", "payment_portal"):
        assert_problem(await client.get(url, headers=who[role].headers), 403)
    assert_problem(await client.get(f"{PERMITS}/{NO_ID}/print", headers=who["cso"].headers), 404)
    r = await client.get(url, headers=who["cso"].headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (p["number"], "7ABC123", "(CA)", "Zone", "2026-03-01", "2026-03-08"):
        assert expected in text, (expected, text)
    assert "Dana" not in text and "Harridge" not in text
    images = reader.pages[0].images
    assert len(images) == 1
    picture = Image.open(io.BytesIO(images[0].data))
    decoded = zxingcpp.read_barcodes(picture)
    assert [(b.format, b.text) for b in decoded] == [(zxingcpp.BarcodeFormat.QRCode, p["number"])]
    printed = db.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "permit.print"))
    assert printed == 1
