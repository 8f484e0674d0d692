"""``/problems`` and ``/problems/{code}``: the pages a problem's ``type`` URI points to
(RFC 9457 §3.1.1: a ``type`` that resolves should describe the problem to a human).

Each page says what the code means (its title, its status and the details the API says with
it, from the registry ``problem_catalogue`` reads off the source) and what a client should do.
A browser gets HTML; a client that asks for ``application/json`` gets the same as JSON. No
token is needed: the pages describe the API, not any record.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from csoapi.core.errors import NotFound
from csoapi.core.problems import PROBLEMS_PATH, error_responses, problem_type
from csoapi.problem_catalogue import load

router = APIRouter(tags=["problems"])
TAG = {
    "name": "problems",
    "description": "The pages problem `type` URIs point to: what each code means, what to do",
}

# What a client does about each status, whatever the code.
BY_STATUS = {
    400: "Fix the request as the detail says; sending it again unchanged fails again.",
    401: "Get a token (POST /api/v1/auth/token) or a fresh one (refresh_token grant), and "
    "send it as `Authorization: Bearer <token>`. Do not retry with the same token.",
    403: "The token is valid but its role or client kind may not do this: the detail names "
    "the scope or rule. Use a principal that may, or ask an administrator.",
    404: "Check the id or path. A record you may not see answers 404 as one that does not "
    "exist, so it may exist for others.",
    405: "The path exists but not with this method: the `Allow` header lists those it takes.",
    406: "Ask for a media type the operation answers (see its responses in the contract).",
    408: "Send the whole body promptly, on a new connection.",
    409: "The record's state forbids this now: read the record (GET), decide, and send what "
    "its state allows. Members such as `conditions` or `balance_cents` say what stood in "
    "the way.",
    412: "The record changed since you read it: GET it again, reapply your change to the new "
    "version and send it with the new ETag in `If-Match`.",
    413: "Send a smaller body (the installation's limit is in the detail).",
    415: "Send the body with a Content-Type the operation reads (application/json; the token "
    "and revoke endpoints: application/x-www-form-urlencoded).",
    422: "Fix the request: `errors[]` lists each fault with its location (`loc`). Retrying "
    "the same request fails the same way.",
    428: "Send `If-Match` with the ETag from your last read of the record.",
    429: "Wait `Retry-After` seconds, then retry; spread requests out.",
    500: "The server failed. Retry later; report the `X-Request-ID` header to the operator.",
    503: "Retry after `Retry-After` seconds (with backoff); the request was not carried out.",
}
# What a client does about some codes beyond their status's advice.
BY_CODE = {
    "overpayment": "Pay at most `balance_cents`, the amount still owed.",
    "idempotency_key_reused": "An Idempotency-Key names one request: use a new key for a "
    "different body, or resend the very same body to get the first answer replayed.",
    "idempotency_key_busy": "The first request with this key is still running: retry later "
    "with the same key and body to get its answer.",
    "idempotency_key_required": "Machine clients send `Idempotency-Key` (a fresh UUID per "
    "payment, reused only for retries of it).",
    "invalid_transition": "The detail names the states the record may move to from here.",
    "etag_mismatch": "GET the record again and resend with its current ETag.",
    "if_match_required": "GET the record; send its `ETag` header's value as `If-Match`.",
    "login_throttled": "Too many failed sign-ins from here or at this name: wait "
    "`Retry-After` seconds. Throttled attempts do not count toward a lockout.",
    "invalid_token": "Sign in again or refresh: the detail says whether the token expired, "
    "was signed with another key or was meant for another audience.",
    "insufficient_scope": "The detail names the scopes missing from the token.",
    "duplicate_external_id": "The call exists already: `existing_id` names it. Update that "
    "one instead of creating another.",
}


class ProblemType(BaseModel):
    """One problem code: its page as JSON."""

    type: str
    code: str
    title: str
    statuses: list[int]
    details: list[str]
    what_to_do: list[str]


class ProblemTypeList(BaseModel):
    items: list[ProblemType]


def _entry(request: Request, code: str) -> ProblemType:
    entry = load().get(code)
    if entry is None:
        raise NotFound(f"No problem code {code!r} (GET /problems lists them)", code="not_found")
    advice = [BY_STATUS[s] for s in entry["statuses"] if s in BY_STATUS]
    if code in BY_CODE:
        advice.insert(0, BY_CODE[code])
    return ProblemType(
        type=problem_type(request, code),
        code=code,
        title=entry["title"],
        statuses=entry["statuses"],
        details=entry["details"],
        what_to_do=advice,
    )


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · csoapi</title></head><body>{body}"
        f'<p><a href="{PROBLEMS_PATH.rstrip("/")}">Every problem code</a></p></body></html>'
    )


NEGOTIATED = {
    "description": "The page: HTML, or JSON to `Accept: application/json`",
    "content": {"text/html": {"schema": {"type": "string", "maxLength": 100_000}}},
}


@router.get(
    "/problems",
    operation_id="problems_list",
    summary="Every problem code this API can answer, with its status and title",
    description="No token needed. The `type` of every problem+json body this API sends is "
    "one of these pages' URIs (`CSOAPI_PROBLEM_BASE_URL` can point them elsewhere). HTML by "
    "default; JSON to `Accept: application/json`.",
    response_model=ProblemTypeList,
    responses={200: NEGOTIATED, **error_responses(406)},
)
async def problems_list(request: Request) -> Response:
    items = [_entry(request, code) for code in load()]
    if _wants_json(request):
        return JSONResponse(ProblemTypeList(items=items).model_dump())
    rows = "".join(
        f'<tr><td><a href="{escape(i.code)}">{escape(i.code)}</a></td>'
        f"<td>{', '.join(map(str, i.statuses))}</td><td>{escape(i.title)}</td></tr>"
        for i in items
    )
    table = f"<table><tr><th>code</th><th>status</th><th>title</th></tr>{rows}</table>"
    return HTMLResponse(_page("Problem codes", f"<h1>Problem codes</h1>{table}"))


@router.get(
    "/problems/{code}",
    operation_id="problems_get",
    summary="What a problem code means and what a client should do about it",
    description="No token needed. The page a problem's `type` URI names: the code's title, "
    "the HTTP status(es) it comes with, details the API says with it (`…` stands for what "
    "the request filled in), and what to do. An unknown code is a 404 problem.",
    response_model=ProblemType,
    responses={200: NEGOTIATED, **error_responses(404, 406)},
)
async def problems_get(
    request: Request,
    code: Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_]*$")],
) -> Response:
    item = _entry(request, code)
    if _wants_json(request):
        return JSONResponse(item.model_dump())
    details = "".join(f"<li>{escape(d)}</li>" for d in item.details)
    advice = "".join(f"<li>{escape(a)}</li>" for a in item.what_to_do)
    body = (
        f"<h1>{escape(item.code)}</h1><p>{escape(item.title)} (HTTP "
        f"{', '.join(map(str, item.statuses))})</p>"
        + (f"<h2>What the API says with it</h2><ul>{details}</ul>" if details else "")
        + f"<h2>What to do</h2><ul>{advice}</ul>"
    )
    return HTMLResponse(_page(item.code, body))
