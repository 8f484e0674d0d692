"""The hash chain's building blocks against their standards: RFC 8785's own examples and
number vectors (Appendix B), FIPS 180-4's SHA-256 known answer, and a chain recomputed with
nothing but hashlib and the RFC's serialization."""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from csoapi.evidence import chain

# RFC 8785 §3.2.2: the example input and its canonical form.
RFC_INPUT = (
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
    ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
    ' "literals": [null, true, false]}'
)
RFC_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)
# RFC 8785 §3.2.3: property sorting by UTF-16 code units.
RFC_SORT_INPUT = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_SORT_ORDER = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
# RFC 8785 Appendix B: IEEE 754 doubles and their serialization.
RFC_NUMBERS = {
    "0000000000000000": "0",
    "8000000000000000": "0",
    "0000000000000001": "5e-324",
    "8000000000000001": "-5e-324",
    "7fefffffffffffff": "1.7976931348623157e+308",
    "ffefffffffffffff": "-1.7976931348623157e+308",
    "4340000000000000": "9007199254740992",
    "c340000000000000": "-9007199254740992",
    "4430000000000000": "295147905179352830000",
    "44b52d02c7e14af5": "9.999999999999997e+22",
    "44b52d02c7e14af6": "1e+23",
    "44b52d02c7e14af7": "1.0000000000000001e+23",
    "444b1ae4d6e2ef4e": "999999999999999700000",
    "444b1ae4d6e2ef4f": "999999999999999900000",
    "444b1ae4d6e2ef50": "1e+21",
    "3eb0c6f7a0b5ed8c": "9.999999999999997e-7",
    "3eb0c6f7a0b5ed8d": "0.000001",
    "41b3de4355555553": "333333333.3333332",
    "41b3de4355555554": "333333333.33333325",
    "41b3de4355555555": "333333333.3333333",
    "41b3de4355555556": "333333333.3333334",
    "41b3de4355555557": "333333333.33333343",
    "becbf647612f3696": "-0.0000033333333333333333",
    "43143ff3c1cb0959": "1424953923781206.2",
}


def test_rfc8785_example():
    assert rfc8785.dumps(json.loads(RFC_INPUT)).decode() == RFC_OUTPUT


def test_rfc8785_sorting():
    out = rfc8785.dumps(RFC_SORT_INPUT).decode()
    assert list(json.loads(out)) == RFC_SORT_ORDER


def test_rfc8785_numbers():
    for bits, expected in RFC_NUMBERS.items():
        value = struct.unpack(">d", bytes.fromhex(bits))[0]
        assert rfc8785.dumps(value).decode() == expected, bits


def test_sha256_known_answer():
    # FIPS 180-4 example "abc"
    assert hashlib.sha256(b"abc").hexdigest() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def _event(seq: int, prev: str, **kw) -> SimpleNamespace:
    fields = dict.fromkeys(chain.FIELDS)
    fields.update(
        item_id=uuid.UUID(int=7),
        seq=seq,
        action="move",
        at=datetime(2026, 11, 30, 17, 15, tzinfo=UTC),
        recorded_at=datetime(2026, 11, 30, 17, 15, 0, 123456, tzinfo=UTC),
        actor_id=uuid.UUID(int=9),
        detail={},
        prev_hash=prev,
    )
    fields.update(kw)
    e = SimpleNamespace(**fields)
    e.hash = chain.digest(e)
    return e


def _chain(n: int) -> list[SimpleNamespace]:
    out, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        e = _event(seq, prev, reason=f"step {seq}")
        out.append(e)
        prev = e.hash
    return out


def test_the_hashed_document_is_plain_json():
    e = _event(1, chain.GENESIS)
    doc = json.loads(chain.canonical(e))
    assert doc["at"] == "2026-11-30T17:15:00.000000Z"
    assert doc["recorded_at"] == "2026-11-30T17:15:00.123456Z"
    assert doc["item_id"] == "00000000-0000-0000-0000-000000000007"
    assert doc["prev_hash"] == "0" * 64 and doc["to_party"] is None
    # anyone can recompute it: sorted keys, no spaces, SHA-256 of the UTF-8 bytes
    again = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(again.encode()).hexdigest() == e.hash


def test_verify_valid_and_empty():
    events = _chain(5)
    v = chain.verify(events, expected_seq=5)
    assert (v.valid, v.events, v.head) == (True, 5, events[-1].hash)
    assert chain.verify([], expected_seq=None).valid


@given(n=st.integers(2, 12), data=st.data())
def test_any_change_breaks_at_that_seq(n, data):
    events = _chain(n)
    i = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["reason", "action", "to_party", "at", "detail"]))
    new = {
        "reason": "rewritten",
        "action": "court",
        "to_party": "Lab",
        "at": datetime(2020, 1, 1, tzinfo=UTC),
        "detail": {"x": 1},
    }[field]
    setattr(events[i], field, new)
    v = chain.verify(events, expected_seq=n)
    assert (v.valid, v.broken_at) == (False, i + 1)


def test_rehashing_one_event_breaks_the_next_link():
    events = _chain(4)
    events[1].reason = "rewritten"
    events[1].hash = chain.digest(events[1])
    v = chain.verify(events, expected_seq=4)
    assert (v.valid, v.broken_at, v.why) == (False, 3, "prev_hash does not link")


def test_missing_and_extra_events():
    events = _chain(4)
    assert chain.verify(events[:3], expected_seq=4).broken_at == 4
    assert chain.verify(events[:1] + events[2:], expected_seq=4).broken_at == 2
    assert chain.verify(events, expected_seq=3).broken_at == 4
