"""The one error tree: services raise these; ``core.problems`` renders them.

Each carries an HTTP status, a stable machine ``code`` and a human ``detail`` (plus any
extra members for the problem body). Nothing outside the HTTP layer raises
``HTTPException``; nothing here knows how a response is written.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        persist: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # persist=True: the request's transaction is committed even though the request
        # fails (a failed-login counter, the revocation of a reused refresh token's family).
        self.persist = persist
        if code:
            self.code = code
        self.headers = headers or {}
        self.extra = extra


class BadRequest(DomainError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str = "Missing, invalid or expired credentials", **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "Invalid state transition"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class PreconditionRequired(DomainError):
    status, code, title = 428, "precondition_required", "Precondition required"


class UnsupportedMediaType(DomainError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class Unprocessable(DomainError):
    status, code, title = 422, "unprocessable", "Unprocessable request"


class TooManyRequests(DomainError):
    status, code, title = 429, "rate_limited", "Too many requests"


class ServiceUnavailable(DomainError):
    status, code, title = 503, "unavailable", "Service unavailable"
