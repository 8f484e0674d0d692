"""Labels decoded by a real decoder (zxing-cpp): the PNG as rendered, the PDF rasterized by
PDFium, the SVG's shapes drawn as they say."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.evidence.helpers import URL, intake, make_staff, storage
from tests.factories import assert_problem

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def staff(db, settings):
    return make_staff(db, settings)


def _decoded(image: Image.Image) -> dict[str, str]:
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(image)}


def _svg_image(data: bytes) -> Image.Image:
    root = ET.fromstring(data)  # noqa: S314 - our own response, in a test
    _, _, w, h = (int(float(v)) for v in root.get("viewBox").split())
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("fill") == "#fff":
            continue
        x, y = int(rect.get("x")), int(rect.get("y"))
        draw.rectangle(
            (x, y, x + int(rect.get("width")) - 1, y + int(rect.get("height")) - 1), fill=0
        )
    return img


async def test_label_round_trip_in_every_format(client, staff):
    s = await storage(client, staff)
    item = await intake(
        client, staff, s["bins"][0], category="firearm", description="Revolver, .38 — «Smith»"
    )
    url = f"{URL}/{item['id']}/label"
    assert_problem(await client.get(url), 401)
    assert_problem(await client.get(url, headers=staff["admin"]), 403)
    expected = {"Code128": item["barcode"], "QRCode": item["barcode"]}

    png = await client.get(url, params={"format": "png"}, headers=staff["cso"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.size == (1200, 600) and round(image.info["dpi"][0]) == 300
    assert _decoded(image) == expected

    pdf = await client.get(url, params={"format": "pdf"}, headers=staff["records"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    page = pypdfium2.PdfDocument(pdf.content)[0]
    assert [round(v) for v in page.get_size()] == [288, 144]  # 4 × 2 inches in points
    assert _decoded(page.render(scale=300 / 72).to_pil()) == expected
    assert item["barcode"] in page.get_textpage().get_text_range()

    svg = await client.get(url, params={"format": "svg"}, headers=staff["cso"])
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert _decoded(_svg_image(svg.content)) == expected
    assert item["barcode"] in svg.text and "&lt;" not in item["description"]

    default = await client.get(url, headers=staff["cso"])
    assert default.headers["content-type"] == "image/png"
    assert_problem(await client.get(url, params={"format": "gif"}, headers=staff["cso"]), 422)
    missing = f"{URL}/00000000-0000-4000-8000-000000000000/label"
    assert_problem(await client.get(missing, headers=staff["cso"]), 404, "item_not_found")
