"""insight — models that turn the company's facts into foresight: which accounts may leave
(流失风险), how calls feel (通话情绪) and what they are about, which leads deserve a person
(线索评分), and how much will be won (业绩预测); and the analytics a sales leader reads in the
war room (销售作战室): funnel, cohorts, forecast, demand clusters, market saturation,
competitor moves and marketing ROI. See ``docs.md``.

Other packages and the shells import from here only: ``service`` (use cases), ``queries``
(scoped reads), ``batch`` (set-based analytics), ``rules`` (pure rules and references) and
the value types below.
"""

from __future__ import annotations

from chanli.core.engine import connect_store
from chanli.insight import batch, queries, rules, service
from chanli.insight.ml.calls import (
    TOPIC_RULES,
    CallInsight,
    RepCoaching,
    TopicHit,
    TopicRule,
    Utterance,
    analyse_call,
    coach_reps,
    detect_topics,
    extract_keywords,
    parse_transcript,
)
from chanli.insight.ml.card import DataProvenance, ModelMetadata, render_model_card
from chanli.insight.ml.default_sentiment import default_sentiment_model
from chanli.insight.ml.errors import InsightInputError, ModelError
from chanli.insight.ml.features import FeatureSpec, ValueReport
from chanli.insight.ml.forecast import (
    DEFAULT_STAGE_PROBABILITIES,
    Backtest,
    HistoryRates,
    Opportunity,
    backtest,
    history_forecast,
    learn_history,
    open_as_of,
    pipeline_weighted_forecast,
    won_in,
)
from chanli.insight.ml.leads import LeadScore, score_leads, split_by_intent, train_lead_model
from chanli.insight.ml.lifecycle import (
    KINDS,
    TrainOptions,
    TrainOutcome,
    evaluate_model,
    run_forecast_backtest,
    score_with_model,
    train_model,
)
from chanli.insight.ml.sentiment import SentimentModel, SentimentScore, evaluate_sentiment, train_sentiment
from chanli.insight.ml.store import load_model, save_model
from chanli.insight.ml.tabular import Prediction, Reason, TabularModel, TrainingSettings, train_tabular
from chanli.insight.model import (
    FEATURE_LABELS,
    FUNNEL_STAGES,
    NO_VALUE,
    ChurnRiskRaised,
    CompetitorEventDraft,
    InterventionKind,
    MarketDraft,
    SpendDraft,
    WarningOutcome,
    WarningStatus,
)
from chanli.insight.queries import NotFound

__all__ = [
    "DEFAULT_STAGE_PROBABILITIES",
    "FEATURE_LABELS",
    "FUNNEL_STAGES",
    "KINDS",
    "NO_VALUE",
    "TOPIC_RULES",
    "Backtest",
    "CallInsight",
    "ChurnRiskRaised",
    "CompetitorEventDraft",
    "DataProvenance",
    "FeatureSpec",
    "HistoryRates",
    "InsightInputError",
    "InterventionKind",
    "LeadScore",
    "MarketDraft",
    "ModelError",
    "ModelMetadata",
    "NotFound",
    "Opportunity",
    "Prediction",
    "Reason",
    "RepCoaching",
    "SentimentModel",
    "SentimentScore",
    "SpendDraft",
    "TabularModel",
    "TopicHit",
    "TopicRule",
    "TrainOptions",
    "TrainOutcome",
    "TrainingSettings",
    "Utterance",
    "ValueReport",
    "WarningOutcome",
    "WarningStatus",
    "analyse_call",
    "backtest",
    "batch",
    "coach_reps",
    "connect_store",
    "default_sentiment_model",
    "detect_topics",
    "evaluate_model",
    "evaluate_sentiment",
    "extract_keywords",
    "history_forecast",
    "learn_history",
    "load_model",
    "open_as_of",
    "parse_transcript",
    "pipeline_weighted_forecast",
    "queries",
    "render_model_card",
    "rules",
    "run_forecast_backtest",
    "save_model",
    "score_leads",
    "score_with_model",
    "service",
    "split_by_intent",
    "train_lead_model",
    "train_model",
    "train_sentiment",
    "train_tabular",
    "won_in",
]
