"""Standard Webhooks signatures, the delivery policy and the target check: pure rules, our
signatures checked against two independent implementations (``standardwebhooks``, ``svix``)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import standardwebhooks
import svix.webhooks
from hypothesis import given
from hypothesis import strategies as st

from csoapi.webhooks import policy, signing, targets

VECTORS = json.loads(
    (Path(__file__).parent.parent / "vectors" / "standard-webhooks.json").read_text()
)
VERIFIERS = {
    "standardwebhooks": (standardwebhooks.Webhook, standardwebhooks.WebhookVerificationError),
    "svix": (svix.webhooks.Webhook, svix.webhooks.WebhookVerificationError),
}


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["id"][:12])
def test_published_vectors_match_both_reference_signers(vector):
    mid, ts, body = vector["id"], vector["timestamp"], vector["body"]
    assert (
        signing.signature_header(vector["secrets"], mid, ts, body.encode()) == vector["signature"]
    )
    when = datetime.fromtimestamp(ts, tz=UTC)
    for cls, _ in VERIFIERS.values():
        theirs = " ".join(cls(s).sign(mid, when, body) for s in vector["secrets"])
        assert theirs == vector["signature"]


def _signed(secrets, body=b'{"type":"call.created","data":{}}', ts=None, mid="evt-1"):
    ts = int(time.time()) if ts is None else ts
    return body, signing.headers(secrets, mid, ts, body)


@pytest.mark.parametrize("name", sorted(VERIFIERS))
def test_both_verifiers_accept_ours_and_refuse_every_forgery(name):
    cls, error = VERIFIERS[name]
    secret, other = signing.new_secret(), signing.new_secret()
    body, headers = _signed([secret])
    cls(secret).verify(body, headers)
    with pytest.raises(error):
        cls(secret).verify(body.replace(b"created", b"deleted"), headers)
    with pytest.raises(error):
        cls(other).verify(body, headers)
    for skew in (-361, 361):  # six minutes either way: outside the five-minute tolerance
        old_body, old_headers = _signed([secret], ts=int(time.time()) + skew)
        with pytest.raises(error):
            cls(secret).verify(old_body, old_headers)
    missing = {k: v for k, v in headers.items() if k != "webhook-signature"}
    with pytest.raises(error):
        cls(secret).verify(body, missing)


@pytest.mark.parametrize("name", sorted(VERIFIERS))
def test_a_rotation_sends_both_signatures_and_either_secret_verifies(name):
    cls, _ = VERIFIERS[name]
    new, old = signing.new_secret(), signing.new_secret()
    body, headers = _signed([new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    cls(new).verify(body, headers)
    cls(old).verify(body, headers)


def test_secrets_are_whsec_and_24_to_64_bytes_and_ids_hold_no_dot():
    import base64

    raw = base64.b64decode(signing.new_secret().removeprefix("whsec_"))
    assert 24 <= len(raw) <= 64
    assert signing.new_secret() != signing.new_secret()
    with pytest.raises(ValueError):
        signing.signature(signing.new_secret(), "evt.1", 1, b"{}")
    with pytest.raises(ValueError):
        signing.signature("not-a-secret", "evt", 1, b"{}")


SCHEDULE = policy.load()


def test_the_shipped_schedule_is_the_specs():
    assert SCHEDULE.delays_seconds == (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    assert sum(SCHEDULE.delays_seconds) == 75 * 3600 + 35 * 60 + 5  # 75:35:05
    assert SCHEDULE.timeout_seconds == 15 and SCHEDULE.disable_after_failing_days == 5


@given(st.integers(min_value=0, max_value=20), st.none() | st.floats(0, 10**7))
def test_next_delay_follows_the_schedule_within_the_jitter(attempts, after):
    delay = SCHEDULE.next_delay(attempts, after)
    if attempts >= SCHEDULE.max_attempts:
        assert delay is None
        return
    base = SCHEDULE.delays_seconds[attempts]
    low, high = base * (1 - SCHEDULE.jitter_fraction), base * (1 + SCHEDULE.jitter_fraction)
    assert delay is not None
    if after is None:
        assert low <= delay <= high
    else:
        assert delay >= min(after, SCHEDULE.retry_after_cap_seconds) and delay >= low
        assert delay <= max(high, SCHEDULE.retry_after_cap_seconds)


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert policy.retry_after("120", now) == 120
    assert policy.retry_after(format_datetime(now + timedelta(minutes=3), usegmt=True), now) == 180
    assert policy.retry_after(format_datetime(now - timedelta(minutes=3), usegmt=True), now) == 0
    assert policy.retry_after("soon", now) is None and policy.retry_after(None, now) is None


def _resolver(table):
    def resolve(host, port):
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


DNS = _resolver(
    {
        "hooks.example": ["93.184.215.14"],
        "inside.example": ["10.0.0.5"],
        "mixed.example": ["93.184.215.14", "127.0.0.1"],
        "meta.example": ["169.254.169.254"],
        "v6.example": ["::1"],
        "mapped.example": ["::ffff:127.0.0.1"],
    }
)


@pytest.mark.parametrize(
    "url",
    [
        "https://inside.example/h",
        "https://mixed.example/h",
        "https://meta.example/latest",
        "https://v6.example/h",
        "https://mapped.example/h",
        "http://127.0.0.1:8080/h",
        "http://[::1]/h",
        "http://0.0.0.0/h",
        "https://192.168.1.4/h",
        "https://100.64.0.1/h",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(url):
    with pytest.raises(targets.TargetRefused) as refused:
        targets.resolve(url, allow_private=False, https_only=False, resolver=DNS)
    assert refused.value.code == "private_target"
    targets.resolve(url, allow_private=True, https_only=False, resolver=DNS)


def test_a_public_target_is_pinned_to_the_address_it_was_checked_at():
    t = targets.resolve(
        "https://hooks.example:8443/in?x=1", allow_private=False, https_only=True, resolver=DNS
    )
    assert t.url == "https://93.184.215.14:8443/in?x=1"
    assert (t.host_header, t.sni_hostname) == ("hooks.example:8443", "hooks.example")


@pytest.mark.parametrize(
    ("url", "code", "https_only"),
    [
        ("ftp://hooks.example/", "invalid_url", False),
        ("https://user:pw@hooks.example/", "invalid_url", False),
        ("https://nowhere.example/", "unresolvable_host", False),
        ("http://hooks.example/", "insecure_url", True),
    ],
)
def test_what_is_not_a_target(url, code, https_only):
    with pytest.raises(targets.TargetRefused) as refused:
        targets.resolve(url, allow_private=False, https_only=https_only, resolver=DNS)
    assert refused.value.code == code
