"""The event catalogue's entry: what a feature says about one event type it appends. The
catalogue is the OpenAPI document's ``webhooks`` section, and every event the test suite
writes is checked against it (``tests/conftest.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """An event's ``data``: exactly these fields (a payload with another is a bug)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class EventType:
    name: str  # e.g. call.created
    summary: str
    # Who may receive it (the feed and webhooks filter by it): one scope, or the scopes of
    # the kinds of record it can be about (a hold on an impound or on an evidence item).
    read_scope: str | tuple[str, ...]
    data: type[EventData]

    @property
    def scopes(self) -> tuple[str, ...]:
        return (self.read_scope,) if isinstance(self.read_scope, str) else self.read_scope
