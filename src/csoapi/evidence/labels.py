"""Printable item labels: a Code 128 barcode and a QR code of the item's barcode, with the
item's number and a few words of what it is, as PNG, SVG or PDF.

The symbols are encoded by well-kept libraries (python-barcode's Code 128, segno's QR
code); this module only lays out their modules. All three formats are drawn from the one
layout, on a 4 × 2 inch label in dots of 1/300 inch (a thermal label printer's page), so
the PNG, the SVG and the PDF carry the same bars: SVG and PDF as vectors."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import barcode
import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

DPI = 300
WIDTH, HEIGHT = 1200, 600  # 4 × 2 inches
MARGIN = 30
QUIET = 10  # Code 128's quiet zone, in modules (ISO/IEC 15417)
BAR_HEIGHT = 230
QR_BORDER = 4  # QR's quiet zone, in modules (ISO/IEC 18004)
QR_SIZE = 380


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class Layout:
    bars: list[Box]
    modules: list[Box]
    lines: list[tuple[int, int, int, str]]  # x, baseline y, size, text


def _runs(pattern: str) -> Iterator[tuple[int, int]]:
    """(start, length) of each bar (run of '1') in a module pattern."""
    start = None
    for i, bit in enumerate(pattern + "0"):
        if bit == "1" and start is None:
            start = i
        elif bit == "0" and start is not None:
            yield start, i - start
            start = None


def layout(code: str, lines: list[str]) -> Layout:
    pattern = barcode.get("code128", code).build()[0]
    module = max(1, min(4, (WIDTH - QR_SIZE - 3 * MARGIN) // (len(pattern) + 2 * QUIET)))
    x0, y0 = MARGIN + QUIET * module, 170
    bars = [Box(x0 + s * module, y0, n * module, BAR_HEIGHT) for s, n in _runs(pattern)]
    qr = segno.make(code, error="m", micro=False)
    rows = [list(r) for r in qr.matrix_iter(scale=1, border=QR_BORDER)]
    cell = QR_SIZE // len(rows)
    qx, qy = WIDTH - MARGIN - cell * len(rows), (HEIGHT - cell * len(rows)) // 2
    modules = [
        Box(qx + c * cell, qy + r * cell, cell, cell)
        for r, row in enumerate(rows)
        for c, dark in enumerate(row)
        if dark
    ]
    text = [(MARGIN, 70, 52, lines[0]), (MARGIN, 140, 44, code)]
    text += [(MARGIN, 470 + 50 * i, 34, t) for i, t in enumerate(lines[1:4])]
    return Layout(bars, modules, text)


def _boxes(lay: Layout) -> list[Box]:
    return lay.bars + lay.modules


def latin(text: str) -> str:
    """``text`` in what a label printer's built-in fonts have (Latin-1): accents kept where
    Latin-1 has them, otherwise dropped, anything else shown as "?"."""
    out = []
    for ch in text:
        if ch.encode("latin-1", "ignore"):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if c.isascii())
        out.append(base or "?")
    return "".join(out)


def png(lay: Layout) -> bytes:
    img = Image.new("1", (WIDTH, HEIGHT), 1)
    draw = ImageDraw.Draw(img)
    for b in _boxes(lay):
        draw.rectangle((b.x, b.y, b.x + b.w - 1, b.y + b.h - 1), fill=0)
    for x, y, size, text in lay.lines:
        draw.text((x, y), latin(text), fill=0, font=ImageFont.load_default(size=size), anchor="ls")
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg(lay: Layout) -> bytes:
    inch = f'width="{WIDTH / DPI}in" height="{HEIGHT / DPI}in"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" {inch} viewBox="0 0 {WIDTH} {HEIGHT}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        '<g fill="#000" shape-rendering="crispEdges">',
        *(f'<rect x="{b.x}" y="{b.y}" width="{b.w}" height="{b.h}"/>' for b in _boxes(lay)),
        "</g>",
        *(
            f'<text x="{x}" y="{y}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="{size}">{_xml(t)}</text>'
            for x, y, size, t in lay.lines
        ),
        "</svg>",
    ]
    return "\n".join(parts).encode()


def pdf(lay: Layout) -> bytes:
    mm = 25.4 / DPI
    doc = FPDF(unit="mm", format=(WIDTH * mm, HEIGHT * mm))
    doc.set_margin(0)
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.set_fill_color(0, 0, 0)
    for b in _boxes(lay):
        doc.rect(b.x * mm, b.y * mm, b.w * mm, b.h * mm, style="F")
    for x, y, size, text in lay.lines:
        doc.set_font("helvetica", size=size * 72 / DPI)
        doc.text(x * mm, y * mm, latin(text))  # the PDF core fonts are Latin-1
    return bytes(doc.output())


RENDER = {"png": png, "svg": svg, "pdf": pdf}


def render(fmt: str, code: str, lines: list[str]) -> bytes:
    return RENDER[fmt](layout(code, lines))
