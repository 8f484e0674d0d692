"""How often the token endpoint tries a secret: budgets checked before the work, counted
after it, in the database (``core.ratelimit``), so every process of an installation shares
them.

A password sign-in is checked against four budgets, the most specific first:

- **source and username**: failed sign-ins one source address makes at one username within
  the lockout window. Its limit is one less than the failures that lock an account (at
  least one), so no single source can lock anyone (admins included) on demand: it is
  refused first. Failures from several sources together can still lock an account; that is
  the lockout's purpose. A success from that source clears it, as it clears the account's
  count, and so does an administrator's unlock.
- **source**: failed sign-ins (password or client credentials) one address makes a minute
  (spraying one password across many accounts).
- **username**: failed sign-ins at one username a minute from everywhere (a distributed
  guess at one account, or a flood at one that is already locked).
- **overall**: password sign-ins the whole installation runs a minute, each an Argon2 hash
  (the CPU a flood would take from every other request).

A refused attempt is refused before the account is read or any hash computed, is not
counted (so it does not count toward the lockout either), and writes no audit row of its
own: each budget that refuses something notes it once a minute in the audit trail
(``auth.throttled``), so a flood adds at most one row per budget and minute, however many
requests it sends. The failures that were let through are audited as before, one row each,
and their number is bounded by these budgets.

Usernames are keyed by the name every spelling of it shares (Unicode NFKC, case-folded,
trimmed), so that case or compatibility variants cannot each get a budget of their own;
and hashed, so that the rate table keeps no sign-in names. IPv6 sources are keyed by their
/64, the block one subscriber gets and can rotate through.
"""

from __future__ import annotations

import hashlib
import ipaddress
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from csoapi.core import audit, ratelimit
from csoapi.core.context import RequestContext
from csoapi.core.errors import TooManyRequests
from csoapi.core.proxies import parse_address
from csoapi.core.ratelimit import Budget
from csoapi.users.repository import UserRepository

# The budgets' names in audit rows, by their key's second part.
LIMIT_NAMES = {
    "pair": "source_username",
    "source": "source",
    "username": "username",
    "overall": "overall",
}


def username_key(username: str) -> str:
    """One key for every spelling of a username (NFKC, case-folded, trimmed), hashed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
    return hashlib.sha256(folded.strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def source_key(address: str | None) -> str:
    """The address a budget is kept for: IPv4 as is, IPv6 by its /64."""
    ip = parse_address(address)
    if ip is None:
        return "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True, slots=True)
class Attempt:
    """The budgets one sign-in attempt is checked against and counted under."""

    username: str | None
    first: tuple[Budget, ...]  # checked before anything is read or hashed
    account: tuple[Budget, ...]  # checked again once the account's row is locked
    failures: tuple[Budget, ...]  # counted when the attempt fails
    attempts: tuple[Budget, ...]  # counted whether it fails or not


class SignInThrottle:
    def __init__(self, session: Session, ctx: RequestContext) -> None:
        self.session = session
        self.ctx = ctx
        self.settings = ctx.settings
        self.source = source_key(ctx.source_ip)

    def password(self, username: str) -> Attempt:
        s = self.settings
        name = username_key(username)
        pair = Budget(
            f"login:pair:{name}:{self.source}",
            max(1, s.lockout_max_failures - 1),
            minutes=s.lockout_window_minutes + 1,  # covers any lockout window ending now
        )
        source = Budget(f"login:source:{self.source}", s.login_failures_per_source)
        user = Budget(f"login:username:{name}", s.login_failures_per_username)
        overall = Budget("login:overall", s.login_attempts_per_minute)
        return Attempt(
            username=username,
            first=(pair, source, user, overall),
            account=(pair, user),
            failures=(pair, source, user),
            attempts=(overall,),
        )

    def client(self) -> Attempt:
        source = Budget(f"login:source:{self.source}", self.settings.login_failures_per_source)
        return Attempt(None, first=(source,), account=(), failures=(source,), attempts=())

    def admit(self, attempt: Attempt, budgets: tuple[Budget, ...], now: datetime) -> None:
        """429 with Retry-After when any of ``budgets`` is spent; otherwise nothing."""
        if not budgets:
            return
        hit = ratelimit.exhausted(self.session, budgets, now)
        if hit is None:
            return
        budget, retry = hit
        if ratelimit.first_refusal(self.session, budget.key, now):
            self._audit(attempt, budget, retry)
        raise TooManyRequests(
            f"Too many sign-in attempts; retry in {retry} s",
            code="login_throttled",
            headers={"Retry-After": str(retry)},
            persist=True,  # the once-a-minute note above; nothing else was written
        )

    def failed(self, attempt: Attempt, now: datetime) -> None:
        ratelimit.count(self.session, attempt.failures + attempt.attempts, now)

    def succeeded(self, attempt: Attempt, now: datetime) -> None:
        """Count the hash; a success also clears this source's failures at this username,
        as it clears the account's own count of them."""
        if attempt.attempts:
            ratelimit.count(self.session, attempt.attempts, now)
        ratelimit.forget(self.session, keys=[b.key for b in attempt.failures if b.minutes > 1])

    def forget_username(self, username: str) -> None:
        """An administrator unlocked the account: its username's budgets start afresh (from
        every source)."""
        name = username_key(username)
        ratelimit.forget(
            self.session, keys=[f"login:username:{name}"], prefixes=[f"login:pair:{name}:"]
        )

    def _audit(self, attempt: Attempt, budget: Budget, retry: int) -> None:
        kind = budget.key.split(":")[1]
        user = None
        if kind in ("pair", "username") and attempt.username is not None:
            # the account under attack, when there is one (the name tried is not recorded:
            # it may be a password typed into the wrong field)
            user = UserRepository(self.session).by_username(attempt.username.strip().lower())
        audit.record(
            self.session,
            self.ctx,
            "auth.throttled",
            entity_type="user" if user else None,
            entity_id=user.id if user else None,
            outcome="refused",
            detail={"limit": LIMIT_NAMES[kind], "retry_after": retry},
        )
