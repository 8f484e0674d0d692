"""OpenAPI links: from each create's 201 answer to the operations that take the id it made.

Read off the route table (the document's paths), never written per route. A path names a
record by a path parameter: ``/calls/{call_id}/notes`` names a call by ``{call_id}``. The
operations under ``<prefix>/{P}`` take a record of the kind the create at ``<prefix>`` makes
(``POST /calls`` makes the calls of ``/calls/{call_id}/...``), or of the kind another create
answers (``POST /payments/{payment_id}/reverse`` answers a payment, which
``GET /payments/{payment_id}`` reads): the kind is the schema of the record's ``GET``, or of
its ``<prefix>`` create's answer, and a create answers it when its 201 body carries every
field of it, or holds one in a field (a renewal's ``payment``).

``{P}`` takes the answer's field of the same name (``code``, ``seq``) or else its ``id``. The
target's other path parameters are the create's own (``{impound_id}`` of ``POST
/impounds/{impound_id}/payments`` for ``.../payments/{payment_id}/reverse``), so a link is
made only where the create's path runs through them; a target with a parameter the create
cannot fill gets no link. Clients and fuzzers (schemathesis's stateful runs) follow these
links to reach real records instead of ids that name nothing."""

from __future__ import annotations

import re
from typing import Any

SCHEMA_PREFIX = "#/components/schemas/"
PARAMETER = re.compile(r"\{([^}/]+)\}")


def _ref(body: dict[str, Any]) -> str | None:
    """The component a JSON answer's schema names, if it names one."""
    for media_type, media in body.get("content", {}).items():
        ref = media.get("schema", {}).get("$ref", "")
        if "json" in media_type and ref.startswith(SCHEMA_PREFIX):
            return ref[len(SCHEMA_PREFIX) :]
    return None


def _items(doc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each record path (``<prefix>/{P}`` with operations at or under it) and its prefix's
    create and record schema: the schema its GET answers, else its create's answer."""
    paths = doc["paths"]
    found: dict[str, tuple[str, str]] = {}
    for path in paths:
        for match in PARAMETER.finditer(path):
            item = path[: match.end()]
            if item in found:
                continue
            prefix = path[: match.start() - 1]
            create = paths.get(prefix, {}).get("post", {}).get("responses", {}).get("201")
            made = _ref(create) if create else None
            got = paths.get(item, {}).get("get", {}).get("responses", {}).get("200")
            kind = (_ref(got) if got else None) or made
            if kind:
                found[item] = (prefix if made else "", kind)
    return found


def _pointer(
    schemas: dict[str, Any], answer: str, kind: str, param: str, *, wider: bool
) -> str | None:
    """Where in the answer (a JSON pointer) the record's ``{param}`` is: in the answer itself
    when it is the record (``wider``: or carries every field of it), in a field of it holding
    one; None when it holds none."""

    def key(schema: dict[str, Any]) -> str | None:
        props = schema.get("properties", {})
        return param if param in props else "id" if "id" in props else None

    def is_kind(name: str) -> bool:
        fields = set(schemas.get(name, {}).get("properties", {}))
        wanted = set(schemas[kind].get("properties", {}))
        return name == kind or wider and bool(fields) and wanted <= fields

    if is_kind(answer):
        name = key(schemas[answer])
        return f"/{name}" if name else None
    for field, prop in schemas[answer].get("properties", {}).items():
        ref = prop.get("$ref", "")
        if ref == SCHEMA_PREFIX + kind and (name := key(schemas[kind])):
            return f"/{field}/{name}"
    return None


def _minted(items: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Each record parameter's name and the creates whose records it names
    (``service_id``: ``POST /services``)."""
    out: dict[str, list[str]] = {}
    for item, (prefix, _kind) in items.items():
        if prefix:
            out.setdefault(PARAMETER.findall(item)[-1], []).append(prefix)
    return out


def _parameters(
    create_path: str, target: str, answer: str, doc: dict[str, Any], items: dict, minted: dict
) -> dict[str, str] | None:
    """The runtime expressions of the target's path parameters: its last from the record
    the create made, the others from the create's request path; None when the create
    cannot fill them all."""
    found = list(PARAMETER.finditer(target))
    if not found:
        return None
    last = found[-1]
    param, before = last.group(1), target[: last.start()]
    outer = [m.group(1) for m in found[:-1]]
    schemas = doc["components"]["schemas"]
    if target[: last.end()] in items:
        prefix, kind = items[target[: last.end()]]
        made_here = prefix == create_path
        # Records with a create of their own are made there (a call type is no disposition,
        # for all it has every field of one); others by what answers every field of them.
        pointer = _pointer(schemas, answer, answer if made_here else kind, param, wider=not prefix)
    elif not outer and minted.get(param) == [create_path]:
        # Another view of a record that no create answers (the HSDS form of a service): the
        # record its parameter names wherever it has a create.
        pointer = _pointer(schemas, answer, answer, param, wider=False)
    else:
        return None
    # The same names under another parent (an impound's holds, an item's) are other records.
    if pointer is None or outer and not create_path.startswith(before[: before.rfind("}") + 1]):
        return None
    if not set(outer) <= set(PARAMETER.findall(create_path)):
        return None
    values = {name: f"$request.path.{name}" for name in outer}
    return values | {param: f"$response.body#{pointer}"}


def add_links(doc: dict[str, Any]) -> None:
    """Every 201 answer of a POST gets ``links`` to the operations that take its record."""
    items = _items(doc)
    minted = _minted(items)
    operations = [
        (path, op)
        for path, item in doc["paths"].items()
        for op in item.values()
        if "operationId" in op
    ]
    for create_path, item in doc["paths"].items():
        created = item.get("post", {}).get("responses", {}).get("201")
        answer = _ref(created) if created else None
        if answer is None:
            continue
        links: dict[str, Any] = {}
        for target_path, target in operations:
            values = _parameters(create_path, target_path, answer, doc, items, minted)
            if values:
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": values,
                    "description": _description(target["operationId"], values),
                }
        if links:
            created["links"] = links


def _description(operation_id: str, values: dict[str, str]) -> str:
    made = [f"`{{{p}}}`" for p, v in values.items() if v.startswith("$response")]
    given = [f"`{{{p}}}`" for p, v in values.items() if v.startswith("$request")]
    text = f"`{operation_id}` on the record this request made: {', '.join(made)} from the answer"
    return text + (f", {', '.join(given)} from this request's path." if given else ".")
