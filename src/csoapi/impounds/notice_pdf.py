"""A notice of storage as print (PDF), rendered from the notice's document: the same
document always gives the same bytes (the PDF's creation date is the mailing time), so the
SHA-256 recorded when it was mailed identifies the printed notice as well.

The PDF core fonts hold Latin-1 only: a character outside it prints as '?'. The JSON
document, and its own SHA-256, stay the authoritative text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpdf import FPDF

_TITLES = {
    "registered_owner": "Notice of stored vehicle to the registered owner",
    "legal_owner": "Notice of stored vehicle to the legal owner",
}


# After a block of text, the next one starts on a new line at the left margin.
_NEXT: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}


def _latin1(text: Any) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def render(document: dict[str, Any]) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(datetime.fromisoformat(document["mailed_at"]))
    pdf.set_title(_latin1(f"{document['impound_number']} {document['to']}"))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin1(_TITLES.get(document["to"], "Notice of stored vehicle")), **_NEXT)
    pdf.set_font("helvetica", size=10)
    v, lot, hearing = document["vehicle"], document["stored_at"], document["hearing"]
    plate = " ".join(x for x in (v.get("plate_state"), v.get("plate")) if x) or "no plate"
    described = " ".join(x for x in (v.get("color"), v.get("make"), v.get("model")) if x)
    lines = [
        ("Agency", document["agency"]),
        ("Impound number", document["impound_number"]),
        ("To", document.get("addressee") or document["to"].replace("_", " ")),
        ("Mailed", f"{document['mailed_at']} ({document['method'].replace('_', ' ')})"),
        ("Vehicle", f"{plate} {described}".strip() + (f", VIN {v['vin']}" if v.get("vin") else "")),
        ("Removed from", document["towed_from"]),
        ("Removed at", document.get("towed_at") or ""),
        ("Authority", f"{document['authority']} ({document['reason']})"),
        ("Stored at", ", ".join(x for x in (lot.get("lot"), lot.get("address")) if x)),
        ("Hours", lot.get("hours") or ""),
    ]
    for label, value in lines:
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(40, 6, _latin1(label))
        pdf.set_font("helvetica", size=10)
        pdf.multi_cell(0, 6, _latin1(value), **_NEXT)
    pdf.ln(4)
    pdf.multi_cell(
        0,
        6,
        _latin1(
            f"You may request a post-storage hearing within {hearing['request_within']}, "
            f"{hearing['how']} ({hearing['citation']})."
        ),
        **_NEXT,
    )
    return bytes(pdf.output())
