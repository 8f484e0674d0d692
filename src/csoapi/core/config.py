"""Settings, read once from the environment (prefix ``CSOAPI_``) and from ``.env``.

Secrets are ``SecretStr`` so they never appear in a repr, a log line or an error body.
Outside ``dev`` the JWT signing key must be given and strong; in ``dev`` a key is created
once and kept in a file beside the working directory so that every process of the same
installation (several workers, the CLI) signs and verifies with the same key.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from csoapi.core.proxies import IPNetwork, parse_networks

MIN_SECRET_BYTES = 32
DEV_SECRET_FILE = Path(".csoapi-dev-secret")


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CSOAPI_", env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = Environment.dev
    database_url: str = "sqlite:///./csoapi.db"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=20, ge=0, le=400)
    # A round trip before every checkout; off, a connection lost while pooled (a database
    # restart) fails one request with 503, and the pool then replaces all its connections.
    database_pool_pre_ping: bool = False
    # How long a unit waits for a pooled connection before a 503 server_busy.
    database_pool_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # PostgreSQL: how long opening a connection may take, and any one statement (server-side
    # statement_timeout, lock waits included; 0 for none). A database that hangs then costs a
    # request seconds and a 503, not minutes with its admission slot held.
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Requests inside the app at once per process (the rest queue on the event loop). Kept
    # small: past a few, requests only take turns on one core and the interpreter lock, and
    # one holding a hot lock (a gap-free counter row) waits behind the others (measured: 8
    # instead of 30 gave more throughput and half the p99; 4 instead of 8, on the benchmark's
    # hot routes, the same or more throughput and a lower p99, issuance's about halved).
    max_in_flight: int = Field(default=4, ge=1, le=600)
    admission_wait_seconds: float = Field(default=10.0, gt=0, le=300)

    jwt_secret: SecretStr | None = None
    jwt_issuer: str = "csoapi"
    jwt_audience: str = "csoapi"
    access_token_minutes: int = Field(default=15, ge=1, le=15)
    # People sign in with a second factor (TOTP): unset, required where the account policy
    # says (production); a person without one gets a token that can only enrol one.
    mfa_required: bool | None = None
    # A rotated refresh token presented again this soon, before its successor has been used,
    # is a retry (a lost reply, parallel requests of one app) and gets that same successor;
    # later, or once the successor is used, it is a reuse and ends the sign-in. 0: no grace.
    refresh_reuse_grace_seconds: int = Field(default=5, ge=0, le=60)

    lockout_max_failures: int = Field(default=5, ge=1, le=100)
    lockout_window_minutes: int = Field(default=15, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # Sign-in throttling (auth.throttle; counted in the database). A source's failures at
    # one username are held under lockout_max_failures by a budget of their own, so that no
    # single source can lock an account.
    login_failures_per_source: int = Field(default=20, ge=1)
    login_failures_per_username: int = Field(default=10, ge=1)
    login_attempts_per_minute: int = Field(default=300, ge=1)
    password_hash_time_cost: int = Field(default=2, ge=1)
    password_hash_memory_kib: int = Field(default=19456, ge=8)

    timezone: str = "America/Los_Angeles"
    agency_ori: str = "CA0000000"
    call_number_prefix: str = "CFS"
    report_number_prefix: str = "R"
    citation_number_prefix: str = "C"
    impound_number_prefix: str = "IMP"
    evidence_barcode_prefix: str = "E"
    permit_number_prefix: str = "P"

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Peers whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated):
    # the reverse proxies in front of the API. None by default: the peer is the caller.
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # A request's whole body must arrive within this time of its start; it is read before
    # the request takes an admission slot, so a slow sender holds only its own connection.
    body_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    idempotency_ttl_hours: int = Field(default=48, ge=24)
    webhook_allow_private: bool = False
    # After a secret is rotated, deliveries carry both signatures for this long.
    webhook_secret_grace_hours: int = Field(default=24, ge=0, le=720)
    # How long events stay in the log (the pull feed, webhook recovery): longer than the
    # 30 days Stripe guarantees.
    event_retention_days: int = Field(default=90, ge=1, le=3650)
    # Statistics withhold counts from 1 to this minus one (the CMS cell-size suppression
    # policy withholds 1 to 10); set to what the programme's evaluators use.
    stats_small_cell_threshold: int = Field(default=11, ge=2, le=1000)
    # Defect reports go to the city's Open311 GeoReport v2 endpoint (its base URL, e.g.
    # https://311.example.gov/open311/v2), with its API key and the service code of each
    # defect kind as a JSON object ({"parking_meter": "PM-01", ...}); without an endpoint
    # nothing is forwarded and defects wait.
    open311_endpoint: str | None = None
    open311_api_key: SecretStr | None = None
    open311_jurisdiction_id: str | None = None
    open311_service_codes: dict[str, str] = Field(default_factory=dict)
    open311_poll_seconds: int = Field(default=900, ge=1, le=86_400)
    defect_photo_max_bytes: int = Field(default=900_000, ge=1024, le=1024 * 1024)
    defect_photo_max_pixels: int = Field(default=40_000_000, ge=10_000)
    defect_photos_max: int = Field(default=6, ge=1, le=50)
    lookup_rate_per_minute: int = Field(default=120, ge=1)
    # Requests per client address per minute, per worker process (RateLimit headers on every
    # answer; core.middleware.ClientRateMiddleware); 0 turns the limit and its headers off.
    client_rate_per_minute: int = Field(default=1200, ge=0, le=10_000_000)
    # Where a problem's `type` URI points: `<base><code>`. Empty: this server's own
    # `/problems/` (the page `GET /problems/{code}` serves), built from the request's URL;
    # set it to the public address when a proxy serves the API under another name.
    # GET /metrics (Prometheus): off unless enabled; with a token, only to
    # `Authorization: Bearer <token>` (a scraper's own secret, not an API token).
    metrics_enabled: bool = False
    metrics_token: SecretStr | None = None
    problem_base_url: str = Field(default="", max_length=2048, pattern=r"^(https?://\S+/)?$")
    tow_eligible_overdue: int = Field(default=5, ge=1)
    # How often a supervisor must look again at a hold (an impound's, an evidence item's).
    hold_review_days: int = Field(default=7, ge=1, le=366)
    # Impounds: whose rule pack computes the deadlines and fees (impounds/rules/), the days
    # the agency is closed besides the pack's holidays (comma-separated ISO dates), the
    # agency's rates (a JSON file like impounds/rules/rates.json; that one when unset), and
    # whether a release needs the plate clear of overdue citations.
    impound_jurisdiction: str = "US-CA"
    agency_closure_days: Annotated[list[date], NoDecode] = Field(default_factory=list)
    impound_rates_file: Path | None = None
    impound_release_requires_clear_plate: bool = True
    # Tow eligibility from the citation ledger (GET /vehicles/tow-eligible): off, or the
    # pack's rule (CVC 22651(i) in California) with the agency's stricter numbers if set
    # (more citations, older ones: an agency may tow less than the law allows, never more).
    tow_eligibility_enabled: bool = True
    tow_eligibility_min_citations: int | None = Field(default=None, ge=1, le=1000)
    tow_eligibility_unanswered_days: int | None = Field(default=None, ge=0, le=3650)
    # Found property's holding period; unset: the evidence rule file's (90 days, CC 2080.3).
    found_property_holding_days: int | None = Field(default=None, ge=1, le=3650)
    evidence_checkout_days: int = Field(default=14, ge=1, le=365)  # due back, unless given
    # The Ed25519 key that signs the evidence log's heads and audit summaries: base64 of its
    # 32-byte seed. Never stored in the database. Unset: derived from the JWT signing key.
    evidence_signing_key: SecretStr | None = None
    # A referral whose status has not changed for this many days is flagged stale.
    referral_stale_days: int = Field(default=7, ge=1, le=365)
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def in_flight_limit(self) -> int:
        """Never more requests at once than the connection pool can serve."""
        pool = self.database_pool_size + self.database_max_overflow
        return min(self.max_in_flight, pool)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("agency_closure_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            return [date.fromisoformat(d.strip()) for d in value.split(",") if d.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return parse_networks(value)
            except ValueError as exc:
                raise ValueError(f"not an IP address or network: {exc}") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _secret_outside_dev(self) -> Settings:
        if self.env is Environment.dev:
            return self
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"CSOAPI_JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes "
                f"when CSOAPI_ENV={self.env.value}"
            )
        return self

    @field_validator("evidence_signing_key")
    @classmethod
    def _ed25519_seed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                seed = base64.b64decode(value.get_secret_value(), validate=True)
            except ValueError:
                seed = b""
            if len(seed) != 32:
                raise ValueError("must be the base64 of a 32-byte Ed25519 seed")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def signing_key(self) -> str:
        """The HS256 key. In dev without a configured key, one shared per installation."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return _dev_secret(DEV_SECRET_FILE.resolve())


@lru_cache(maxsize=4)
def _dev_secret(path: Path) -> str:
    """Read the installation's dev key, creating it exactly once (O_EXCL: no two writers).
    Read once per process: the file, not this cache, is what every process shares."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if len(value) < MIN_SECRET_BYTES:
            raise RuntimeError(f"{path} is too short; delete it or set CSOAPI_JWT_SECRET") from None
        return value
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
