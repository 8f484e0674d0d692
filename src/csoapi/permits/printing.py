"""The printable permit: one page (a dashboard card) with the number, zone, vehicle and
days, and a QR code of the number for an enforcement scanner. No holder on it: it sits
behind a windscreen."""

from __future__ import annotations

import io

import segno
from fpdf import FPDF

from csoapi.permits.models import Permit

KIND_LABELS = {
    "residential": "Residential",
    "visitor": "Visitor",
    "temporary": "Temporary",
    "contractor": "Contractor",
    "disabled_placard_verification": "Disabled placard verified",
}


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def permit_pdf(p: Permit, agency: str) -> bytes:
    """A half-letter landscape card (8.5 x 5.5 in)."""
    pdf = FPDF(orientation="landscape", unit="mm", format=(139.7, 215.9))
    pdf.set_title(f"Parking permit {p.number}")
    pdf.set_creator("csoapi")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.cell(0, 12, "PARKING PERMIT", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    pdf.cell(0, 6, agency, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 28)
    pdf.cell(0, 14, p.number, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 14)
    for label, value in (
        ("Zone", p.zone),
        ("Kind", KIND_LABELS.get(p.kind, p.kind)),
        ("Vehicle", f"{p.plate} ({p.plate_state})"),
        ("Valid", f"{p.valid_from.isoformat()} through {p.valid_to.isoformat()}"),
    ):
        pdf.set_font("helvetica", "B", 14)
        pdf.cell(30, 9, f"{label}:")
        pdf.set_font("helvetica", "", 14)
        pdf.cell(0, 9, value, new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(qr_png(p.number)), x=150, y=20, w=55, h=55)
    pdf.set_xy(150, 77)
    pdf.set_font("helvetica", "", 9)
    pdf.cell(55, 5, "Scan to verify", align="C")
    return bytes(pdf.output())
