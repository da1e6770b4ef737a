"""The words of a notice, rendered when it is read (page, API) or sent (robots) from its kind
and params through the Babel catalogs in ``chanli/web/locale`` (message ids are English,
marked with ``N_`` so ``make i18n-extract`` finds them; zh_CN is the default).

Pure: the caller passes the ``gettext`` of the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["N_", "render_notice"]

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the conventional extraction marker
    """Mark a message for extraction; translated later, when rendered."""
    return message


TEXTS = {
    "churn_risk": N_("Churn risk for %(account)s: %(probability)s. Reasons: %(reasons)s."),
    "lead_sla": N_("Lead #%(lead_id)s was not contacted within %(hours)s h by %(previous)s "
                   "and was re-routed to %(new)s."),
    "leads_assigned": N_("You have %(count)s new lead(s) to contact."),
    "approval_requested": N_("%(requested_by)s asks for your approval: %(title)s (%(approval)s)."),
    "approval_decided": N_("Your request %(title)s (%(approval)s) was %(status)s by %(decided_by)s."),
    "approval_escalated": N_("An approval was escalated to you after no decision: %(title)s (%(approval)s)."),
    "statement_ready": N_("Your compensation statement for %(period)s is ready."),
}
TITLES = {
    "churn_risk": N_("Churn warning"),
    "lead_sla": N_("Lead re-routed"),
    "leads_assigned": N_("New leads"),
    "approval_requested": N_("Approval needed"),
    "approval_decided": N_("Approval decided"),
    "approval_escalated": N_("Approval escalated"),
    "statement_ready": N_("Statement ready"),
}
APPROVAL_KINDS = {
    "discount": N_("discount approval"),
    "compliance_review": N_("compliance review"),
    "trial_fund": N_("innovation trial fund"),
}
STATUSES = {"approved": N_("approved"), "rejected": N_("rejected"), "cancelled": N_("cancelled")}
RENEWAL = N_("Renewal due %(day)s.")
COMMENT = N_("Comment: %(comment)s")
NOBODY = N_("nobody yet (waiting to be routed)")
UNKNOWN = N_("Notification")


def _fields(kind: str, params: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    values = {k: ("" if v is None else v) for k, v in params.items()}
    if kind == "churn_risk":
        values["probability"] = f"{float(params.get('probability') or 0):.0%}"
        values["reasons"] = "；".join(str(r) for r in params.get("reasons") or []) or "—"
    if kind == "lead_sla" and not params.get("new"):
        values["new"] = _(NOBODY)
    if "approval" in params:
        values["approval"] = _(APPROVAL_KINDS.get(str(params["approval"]), str(params["approval"])))
    if "status" in params:
        values["status"] = _(STATUSES.get(str(params["status"]), str(params["status"])))
    return values


def render_notice(kind: str, params: Mapping[str, Any], gettext: Gettext) -> tuple[str, str]:
    """``(title, text)`` of a notice in the language of ``gettext``; a kind this version does
    not know (a newer writer, an older reader) still reads as something, never an error."""
    _ = gettext
    template = TEXTS.get(kind)
    if template is None:
        return _(UNKNOWN), kind
    try:
        text = _(template) % _fields(kind, params, _)
    except (KeyError, TypeError, ValueError):
        return _(TITLES[kind]), kind
    if kind == "churn_risk" and params.get("renewal_due_on"):
        text += " " + _(RENEWAL) % {"day": params["renewal_due_on"]}
    if kind == "approval_decided" and params.get("comment"):
        text += " " + _(COMMENT) % {"comment": params["comment"]}
    return _(TITLES[kind]), text
