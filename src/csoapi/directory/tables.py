"""HSDS publications as records to import: a service (full), a list or page of them, an
organization with its services, a service-at-location (full), the Tabular Data Package
(a folder of CSVs with ``datapackage.json``) or its JSON form (``{"services.csv": [...]}``).
Tables are joined back into nested service records, so one mapper reads every form."""

from __future__ import annotations

import contextlib
import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLES = (
    "organizations",
    "services",
    "locations",
    "addresses",
    "phones",
    "schedules",
    "service_at_location",
    "taxonomies",
    "taxonomy_terms",
    "attributes",
    "languages",
)
NUMBERS = {"minimum_age", "maximum_age", "year_incorporated", "extension", "interval"}
FLOATS = {"latitude", "longitude"}


@dataclass
class Record:
    """One service to import (with its organization when the publication nests it), or one
    organization on its own; ``where`` says where it was in the file."""

    where: str
    service: dict[str, Any] | None
    organization: dict[str, Any] | None
    taxonomies: dict[str, dict[str, Any]]


def read(path: Path) -> Iterator[Record]:
    if path.is_dir():
        yield from _from_tables(_csv_tables(path))
        return
    if path.name == "datapackage.json":
        yield from _from_tables(_csv_tables(path.parent))
        return
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    if isinstance(data, dict) and any(str(k).endswith(".csv") for k in data):
        tables = {k.removesuffix(".csv"): [_clean(r) for r in v] for k, v in data.items()}
        yield from _from_tables(tables)
    else:
        yield from _from_json(data)


def _from_json(data: Any) -> Iterator[Record]:
    if isinstance(data, dict) and "contents" in data:
        data = data["contents"]
    items = data if isinstance(data, list) else [data]
    for n, item in enumerate(items):
        where = f"item {n}" if isinstance(data, list) else "record"
        if not isinstance(item, dict):
            yield Record(where, {"_error": "not a JSON object"}, None, {})
        elif "service" in item and "location" in item:  # a service_at_location, full
            sal = {k: v for k, v in item.items() if k != "service"}
            service = dict(item["service"]) | {"service_at_locations": [sal]}
            yield Record(where, service, service.get("organization"), {})
        elif "services" in item and "status" not in item:  # an organization with services
            org = {k: v for k, v in item.items() if k != "services"}
            yield Record(f"{where} (organization)", None, org, {})
            for m, service in enumerate(item.get("services") or []):
                yield Record(
                    f"{where} service {m}", service | {"organization_id": org.get("id")}, org, {}
                )
        else:
            yield Record(where, item, item.get("organization"), {})


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
            if key in NUMBERS and value.lstrip("-").isdigit():
                value = int(value)
            elif key in FLOATS:
                with contextlib.suppress(ValueError):
                    value = float(value)
        if value is not None:
            out[key] = value
    return out


def _csv_tables(folder: Path) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if path.is_file():
            with path.open(newline="", encoding="utf-8-sig") as fh:
                tables[name] = [_clean(r) for r in csv.DictReader(fh)]
    return tables


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if key in row:
            out[row[key]].append(row)
    return out


def _owner(row: dict[str, Any]) -> str | None:
    """A phone, schedule or language row of several owners goes to the most specific one
    this API keeps: the service, else the service-at-location, else the location."""
    for key in ("service_id", "service_at_location_id", "location_id", "organization_id"):
        if key in row:
            return row[key]
    return None


def _from_tables(t: dict[str, list[dict[str, Any]]]) -> Iterator[Record]:
    owned = {
        name: _by([r | {"_owner": _owner(r)} for r in t.get(name, [])], "_owner")
        for name in ("phones", "schedules", "languages")
    }
    addresses = _by(t.get("addresses", []), "location_id")
    locations = {r["id"]: r for r in t.get("locations", []) if "id" in r}
    terms = {r["id"]: r for r in t.get("taxonomy_terms", []) if "id" in r}
    taxonomies = {r["id"]: r for r in t.get("taxonomies", []) if "id" in r}
    attributes = _by(t.get("attributes", []), "link_id")
    sals = _by(t.get("service_at_location", []), "service_id")
    orgs = {r["id"]: r for r in t.get("organizations", []) if "id" in r}

    def location(loc_id: str) -> dict[str, Any]:
        loc = dict(locations.get(loc_id, {"id": loc_id}))
        loc["addresses"] = addresses.get(loc_id, [])
        loc["phones"] = owned["phones"].get(loc_id, [])
        loc["schedules"] = owned["schedules"].get(loc_id, [])
        loc["languages"] = owned["languages"].get(loc_id, [])
        return loc

    for n, org in enumerate(t.get("organizations", [])):
        yield Record(f"organizations.csv row {n + 2}", None, org, taxonomies)
    for n, row in enumerate(t.get("services", [])):
        sid = row.get("id", "")
        service = dict(row)
        service["phones"] = owned["phones"].get(sid, [])
        service["schedules"] = owned["schedules"].get(sid, [])
        service["languages"] = owned["languages"].get(sid, [])
        service["service_at_locations"] = [
            sal
            | {
                "schedules": owned["schedules"].get(sal.get("id", ""), []),
                "location": location(sal.get("location_id", "")),
            }
            for sal in sals.get(sid, [])
        ]
        service["attributes"] = [
            a | {"taxonomy_term": terms[a["taxonomy_term_id"]]}
            for a in attributes.get(sid, [])
            if a.get("taxonomy_term_id") in terms
        ]
        org = orgs.get(row.get("organization_id", ""))
        yield Record(f"services.csv row {n + 2}", service, org, taxonomies)
