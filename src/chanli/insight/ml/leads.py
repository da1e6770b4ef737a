"""Lead scoring (线索评分): how likely a new lead is to become a deal, from what is known when
it arrives, so routing can send high-intent leads to people and the rest to automated outreach.

The model is the same calibrated gradient boosting as churn (``tabular``); what is specific to
leads is *timing discipline*: only facts known at arrival time may be features. For the Olist
funnel that is the first-contact date (as month and weekday), the landing page and the origin
channel; everything in the closed-deals file (seller, SDR/SR, segment, revenue…) exists only
after the deal closed and is never joined in. ``AFTER_OUTCOME_COLUMNS`` are dropped from any
table handed to the trainer, with the reason recorded on the model card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chanli.insight.ml.errors import InsightInputError, missing_column
from chanli.insight.ml.tabular import Reason, TabularModel, TrainingSettings, train_tabular

__all__ = [
    "AFTER_OUTCOME_COLUMNS",
    "LABEL_COLUMN",
    "LeadScore",
    "join_funnel",
    "score_leads",
    "split_by_intent",
    "train_lead_model",
]

LABEL_COLUMN = "converted"
MQL_COLUMNS = ("mql_id", "first_contact_date", "landing_page_id", "origin")
AFTER_OUTCOME_COLUMNS = frozenset(
    {
        "seller_id",
        "sdr_id",
        "sr_id",
        "won_date",
        "business_segment",
        "lead_type",
        "lead_behaviour_profile",
        "has_company",
        "has_gtin",
        "average_stock",
        "business_type",
        "declared_product_catalog_size",
        "declared_monthly_revenue",
        "close_date",
        "closed_at",
        "won_at",
        "deal_value",
        "close_value",
        "order_amount",
    }
)


@dataclass(frozen=True, slots=True)
class LeadScore:
    """A lead's intent: ``score`` is the calibrated conversion chance in percent (0–100)."""

    id: str
    score: int
    probability: float
    reasons: tuple[Reason, ...]


def join_funnel(leads: Sequence[Mapping[str, str]], closed_deals: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Olist MQLs labelled ``converted`` = 1 when the MQL appears among closed deals.

    Only the MQL's own columns are kept: the closed-deal columns would leak the outcome.
    """
    for required in MQL_COLUMNS:
        if leads and required not in leads[0]:
            raise missing_column("marketing-qualified-lead", required, list(leads[0].keys()))
    if closed_deals and "mql_id" not in closed_deals[0]:
        raise missing_column("closed-deal", "mql_id", list(closed_deals[0].keys()))
    won = {row["mql_id"] for row in closed_deals}
    unknown = won - {row["mql_id"] for row in leads}
    if unknown:
        raise InsightInputError(f"{len(unknown)} closed deals name an mql_id that is not among the leads")
    return [{**{c: row[c] for c in MQL_COLUMNS}, LABEL_COLUMN: "1" if row["mql_id"] in won else "0"} for row in leads]


def train_lead_model(
    rows: Sequence[Mapping[str, object]],
    label: str = LABEL_COLUMN,
    id_column: str | None = "mql_id",
    *,
    exclude: Sequence[str] = (),
    settings: TrainingSettings | None = None,
) -> TabularModel:
    """Train on lead history (source, channel, industry, region, received date…).

    Columns known only after the outcome (``AFTER_OUTCOME_COLUMNS``) are excluded on top of
    ``exclude``, so a careless export cannot teach the model the answer.
    """
    if not rows:
        raise InsightInputError("no leads to train on")
    present = set(rows[0].keys())
    reasons = dict.fromkeys(exclude, "excluded by option")
    for column in sorted((AFTER_OUTCOME_COLUMNS & present) - {label}):
        reasons[column] = "known only after the outcome (would leak the answer)"
    return train_tabular(rows, label, id_column, exclude=reasons, settings=settings)


def score_leads(model: TabularModel, rows: Sequence[Mapping[str, object]], top: int = 3) -> list[LeadScore]:
    """Intent score 0–100 and the top reasons for each lead, in input order."""
    return [LeadScore(p.id, round(100 * p.probability), p.probability, p.reasons) for p in model.predict(rows, top=top)]


def split_by_intent(scores: Sequence[LeadScore], threshold: int) -> tuple[list[LeadScore], list[LeadScore]]:
    """(high intent → a person, low intent → automated outreach), each sorted by score, highest
    first. A lead scoring exactly ``threshold`` counts as high intent."""
    if not 0 <= threshold <= 100:
        raise InsightInputError(f"intent threshold must be between 0 and 100, got {threshold}")
    ranked = sorted(scores, key=lambda s: (-s.score, s.id))
    return [s for s in ranked if s.score >= threshold], [s for s in ranked if s.score < threshold]
