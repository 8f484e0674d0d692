"""The agency's own rates and lots (``rates.json``, or the file the setting
``CSOAPI_IMPOUND_RATES_FILE`` names): tow rates per tow company, storage rates, address and
hours per lot, the administrative and lien-preparation fees, what to bring to a release.
These are the agency's numbers (ordinance, tow contracts), not law: the caps the law puts
on them are in the fee pack."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT = "default"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TowCompany(_Strict):
    tow_cents: int = Field(ge=0)


class Lot(_Strict):
    daily_storage_cents: int = Field(ge=0)
    address: str | None = None
    hours: str | None = None


class Rates(_Strict):
    version: str
    note: str | None = None
    admin_fee_cents: int = Field(ge=0)
    lien_fee_cents: int = Field(ge=0)
    tow_companies: dict[str, TowCompany]
    lots: dict[str, Lot]
    what_to_bring: tuple[str, ...]

    def tow_company(self, name: str) -> TowCompany:
        return self.tow_companies.get(name) or self.tow_companies[DEFAULT]

    def lot(self, name: str) -> Lot:
        return self.lots.get(name) or self.lots[DEFAULT]


@functools.cache
def rates_from(path: Path | None) -> Rates:
    if path is None:
        text = (resources.files("csoapi.impounds") / "rates.json").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    rates = Rates.model_validate(json.loads(text))
    if DEFAULT not in rates.tow_companies or DEFAULT not in rates.lots:
        raise ValueError("the rates need a 'default' tow company and a 'default' lot")
    return rates
