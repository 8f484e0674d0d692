"""Code-like values (core.schemas.Token) are accepted exactly when their published JSON
Schema says so: no trimming behind the schema's back (schemathesis found both directions:
a padded code accepted against its pattern, a padded phone number refused after trimming)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from csoapi.calls.schemas import ExternalId
from csoapi.citations.schemas import Reference
from csoapi.codes.schemas import CommonCode
from csoapi.core.schemas import Code
from csoapi.core.values import Phone, Plate, PlateState, Vin
from csoapi.users.schemas import Username
from csoapi.violations.schemas import ViolationCode

TOKENS = {
    "Code": Code,
    "CommonCode": CommonCode,
    "ExternalId": ExternalId,
    "Phone": Phone,
    "Plate": Plate,
    "PlateState": PlateState,
    "Reference": Reference,
    "Username": Username,
    "Vin": Vin,
    "ViolationCode": ViolationCode,
}
# Pattern characters, separators and the whitespace a trimming validator would drop.
ALPHABET = "aZ09x.-+()/_ \t\n\x0b\u00a0\u2003" + "ABCDEFGHJKLMNPRSTUVWXYZ123456789"


@pytest.mark.parametrize("name", sorted(TOKENS))
@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=ALPHABET, max_size=20) | st.text(alphabet=ALPHABET, min_size=16))
def test_accepted_exactly_when_the_schema_says(name, value):
    adapter = TypeAdapter(TOKENS[name])
    schema = adapter.json_schema()
    # JSON Schema patterns are ECMA-262: '$' is the end of the string (Python's also matches
    # before a final newline, so it is spelled \Z here).
    pattern = re.compile(re.sub(r"\$$", r"\\Z", schema["pattern"]))
    published = (
        schema["minLength"] <= len(value) <= schema["maxLength"]
        and pattern.search(value) is not None
    )
    try:
        adapter.validate_python(value)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == published, (name, value)


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("CommonCode", "\tM", False),
        ("CommonCode", "M", True),
        ("Phone", "1  ", False),
        ("Phone", "555 0100", True),
        ("Plate", " 7ABC123", False),
        ("Reference", " ", False),
        ("Reference", "chk 1042", True),
    ],
)
def test_padding_is_refused_inner_spaces_kept(name, value, ok):
    adapter = TypeAdapter(TOKENS[name])
    if ok:
        assert adapter.validate_python(value) == value
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
