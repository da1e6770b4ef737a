"""insight — models that turn the company's facts into foresight: which accounts may leave
(流失风险), how calls feel (通话情绪) and what they are about, which leads deserve a person
(线索评分), and how much will be won (业绩预测). See ``docs.md``.

Other packages and the shells import from here only.
"""

from __future__ import annotations

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

__all__ = [
    "DEFAULT_STAGE_PROBABILITIES",
    "KINDS",
    "TOPIC_RULES",
    "Backtest",
    "CallInsight",
    "DataProvenance",
    "FeatureSpec",
    "HistoryRates",
    "InsightInputError",
    "LeadScore",
    "ModelError",
    "ModelMetadata",
    "Opportunity",
    "Prediction",
    "Reason",
    "RepCoaching",
    "SentimentModel",
    "SentimentScore",
    "TabularModel",
    "TopicHit",
    "TopicRule",
    "TrainOptions",
    "TrainOutcome",
    "TrainingSettings",
    "Utterance",
    "ValueReport",
    "analyse_call",
    "backtest",
    "coach_reps",
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
    "render_model_card",
    "run_forecast_backtest",
    "save_model",
    "score_leads",
    "score_with_model",
    "split_by_intent",
    "train_lead_model",
    "train_model",
    "train_sentiment",
    "train_tabular",
    "won_in",
]
