"""Roles, machine-client kinds and scopes: exactly the contract's table (section 2)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    cso = "cso"
    sergeant = "sergeant"
    records = "records"
    admin = "admin"


class ClientKind(StrEnum):
    cad = "cad"
    payment_portal = "payment_portal"
    provider = "provider"  # a service provider's system, bound to one organization


SCOPE_DESCRIPTIONS: dict[str, str] = {
    "calls:read": "Read calls for service",
    "calls:write": "Create and update calls, add notes, change status",
    "calls:dispatch": "Assign and reassign calls",
    "reports:read": "Read reports",
    "reports:write": "Write and submit reports",
    "reports:review": "Approve or return reports (sergeant)",
    "reports:records": "Process and release reports (records)",
    "reports:export": "Export approved reports (RMS)",
    "citations:read": "Read citations",
    "citations:issue": "Issue citations and warnings",
    "citations:void": "Void citations (sergeant)",
    "citations:adjudicate": "Adjudicate contested citations, refer to collections",
    "citations:lookup": "Payment-portal lookup of citations with a balance",
    "payments:read": "Read payments and reconciliation",
    "payments:write": "Post and reverse payments",
    "impounds:read": "Read impounds",
    "impounds:write": "Request and record impounds",
    "impounds:holds": "Place and lift impound holds",
    "impounds:release": "Release impounded vehicles",
    "evidence:read": "Read evidence and property",
    "evidence:write": "Record evidence and custody events",
    "evidence:approve": "Approve evidence dispositions",
    "evidence:dispose": "Execute evidence dispositions",
    "referrals:read": "Read referrals",
    "referrals:write": "Write referrals",
    "referrals:provider": "A provider's view of the referrals sent to its organization",
    "services:read": "Read the service directory",
    "services:write": "Maintain the service directory",
    "field:read": "Read field services: permits, defect reports, assignments, outreach, fleet",
    "field:write": "Record field services: defect reports, assignments, outreach",
    "permits:write": "Issue and revoke parking permits; read permit holders",
    "permits:lookup": "Payment-portal lookup of parking permits",
    "fleet:write": "Keep the fleet and equipment: maintenance, service records, check-outs",
    "audit:read": "Read the audit log",
    "stats:read": "Read statistics",
    "events:read": "Read the event feed",
    "webhooks:write": "Manage webhook subscriptions",
    "admin": "Administer users, clients, code tables and the violation schedule",
}

_CSO = [
    "calls:read",
    "calls:write",
    "reports:read",
    "reports:write",
    "citations:read",
    "citations:issue",
    "impounds:read",
    "impounds:write",
    "evidence:read",
    "evidence:write",
    "referrals:read",
    "referrals:write",
    "services:read",
    "field:read",
    "field:write",
]

ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.cso: frozenset(_CSO),
    Role.sergeant: frozenset(
        _CSO
        + [
            "calls:dispatch",
            "reports:review",
            "citations:void",
            "impounds:holds",
            "evidence:approve",
            "audit:read",
            "stats:read",
            "fleet:write",
        ]
    ),
    Role.records: frozenset(
        [
            "calls:read",
            "reports:read",
            "reports:records",
            "citations:read",
            "citations:adjudicate",
            "payments:read",
            "payments:write",
            "impounds:read",
            "impounds:release",
            "evidence:read",
            "evidence:write",
            "evidence:dispose",
            "stats:read",
            "field:read",
            "permits:write",
            "fleet:write",
        ]
    ),
    Role.admin: frozenset(["admin", "services:read", "services:write", "audit:read"]),
    ClientKind.cad: frozenset(
        [
            "calls:read",
            "calls:write",
            "calls:dispatch",
            "reports:export",
            "events:read",
            "webhooks:write",
        ]
    ),
    ClientKind.payment_portal: frozenset(
        ["citations:lookup", "permits:lookup", "payments:write", "events:read", "webhooks:write"]
    ),
    ClientKind.provider: frozenset(
        ["services:read", "referrals:provider", "events:read", "webhooks:write"]
    ),
}

assert all(s in SCOPE_DESCRIPTIONS for scopes in ROLE_SCOPES.values() for s in scopes)


def scopes_for(role: str) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())


def markdown() -> str:
    """``docs/scopes.md``: which role and client kind holds which scope (``make openapi``
    writes it; ``tests/auth/test_scopes_doc.py`` fails when it drifts from this module)."""
    who = list(ROLE_SCOPES)
    head = "| scope | what it allows | " + " | ".join(f"`{w}`" for w in who) + " |"
    rule = "|---|---|" + "---|" * len(who)
    rows = [
        f"| `{scope}` | {text} | "
        + " | ".join("✓" if scope in ROLE_SCOPES[w] else "" for w in who)
        + " |"
        for scope, text in SCOPE_DESCRIPTIONS.items()
    ]
    lists = [
        f"- `{w}` ({'role' if w in set(Role) else 'client kind'}): "
        + " ".join(f"`{s}`" for s in sorted(ROLE_SCOPES[w]))
        for w in who
    ]
    return "\n".join(
        [
            "# Scopes by role and client kind",
            "",
            "Generated from `src/csoapi/core/scopes.py` (the contract's section 2) by `make "
            "openapi`; a test fails when this file drifts from it. A token carries its role's "
            "or client kind's scopes (or fewer, when the sign-in names `scope`); every "
            "operation's description in `openapi/openapi.json` ends with the scopes it needs "
            "and who holds them. Object-level rules (a draft only to its author and "
            "sergeants, a portal only its own payments, a provider only referrals sent to "
            "it with consent) come on top, in each operation's description.",
            "",
            head,
            rule,
            *rows,
            "",
            "## Each role's and client kind's scopes",
            "",
            *lists,
            "",
        ]
    )


# The one scope of a person who must enrol a second factor before anything else (the account
# policy requires one and they have none): it reaches only the enrolment operations.
ENROLMENT_SCOPE = "mfa:enrol"
