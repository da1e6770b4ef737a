"""Display labels for stored codes (stages, tiers, roles …), marked for Babel extraction.

Codes stay stable English identifiers in the database; what people read comes from the
catalog, so a Chinese user sees 方案 where the row says ``proposal``.
"""

from __future__ import annotations

__all__ = ["LABELS", "label"]


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext-noop marker name
    return message


LABELS: dict[str, dict[str, str]] = {
    "stage": {
        "prospecting": N_("Prospecting"),
        "discovery": N_("Needs discovery"),
        "proposal": N_("Proposal"),
        "negotiation": N_("Negotiation"),
        "won": N_("Won"),
        "lost": N_("Lost"),
    },
    "status": {
        "open": N_("Open"),
        "won": N_("Won"),
        "lost": N_("Lost"),
        "new": N_("New"),
        "contacted": N_("Contacted"),
        "qualified": N_("Qualified"),
        "disqualified": N_("Disqualified"),
        "converted": N_("Converted"),
        "active": N_("Active"),
        "cancelled": N_("Cancelled"),
        "refunded": N_("Refunded"),
        "prospect": N_("Prospect"),
        "at_risk": N_("At risk"),
        "churned": N_("Churned"),
    },
    "tier": {"new": N_("New hire"), "core": N_("Core"), "elite": N_("Elite")},
    "grade": {"A": N_("Grade A"), "B": N_("Grade B"), "C": N_("Grade C")},
    "role": {
        "admin": N_("Administrator"),
        "sales_ops": N_("Sales ops"),
        "comp_admin": N_("Comp admin"),
        "finance": N_("Finance"),
        "manager": N_("Manager"),
        "rep": N_("Sales rep"),
    },
    "job_role": {
        "rep": N_("Sales rep"),
        "manager": N_("Manager"),
        "director": N_("Director"),
        "solution": N_("Solution consultant"),
        "service": N_("Service delivery"),
        "ops": N_("Sales ops"),
    },
    "team_kind": {
        "company": N_("Company"),
        "region": N_("Region"),
        "product_line": N_("Product line"),
        "team": N_("Team"),
        "squad": N_("Squad"),
    },
    "activity": {
        "visit": N_("Visit"),
        "call": N_("Call"),
        "meeting": N_("Meeting"),
        "email": N_("Email"),
        "demo": N_("Demo"),
    },
}


def label(kind: str, code: str | None) -> str:
    """The English label of a code (translate it with gettext); unknown codes show as is,
    so a code added by an import is still readable before anyone labels it."""
    if code is None:
        return ""
    return LABELS.get(kind, {}).get(code, code)
