"""Call emotion on the two Chinese sentiment sets: in-domain, cross-domain, speed, default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chanli.insight import default_sentiment_model, evaluate_sentiment, train_sentiment
from chanli.insight.ml.bench import load_sentiment_set
from chanli.insight.ml.sentiment import SentimentModel, holdout_split

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def hotel(shared_data: Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    texts, labels = load_sentiment_set(shared_data, "hotel")
    return holdout_split(texts, labels, 0.2, 0)


@pytest.fixture(scope="module")
def chat(shared_data: Path) -> tuple[list[str], np.ndarray]:
    return load_sentiment_set(shared_data, "chat")


@pytest.fixture(scope="module")
def hotel_model(hotel) -> SentimentModel:
    fit, _, fit_labels, _ = hotel
    return train_sentiment(fit, fit_labels, seed=0)


def test_hotel_trained_model_is_right_on_88_percent_of_unseen_reviews(hotel, hotel_model) -> None:
    """Reached level (docs.md: 0.892 here, 0.900 by 5-fold CV); plain char TF-IDF + LR gets ~0.875."""
    _, held, _, held_labels = hotel
    metrics = evaluate_sentiment(hotel_model, held, held_labels)
    assert metrics["n"] == 1088
    assert metrics["accuracy"] >= 0.88
    assert metrics["macro_f1"] >= 0.86


@pytest.mark.xfail(
    strict=True,
    reason="goal 0.92 not reached: best honest model 0.892 on this split, 0.900 by 5-fold CV; "
    "bag-of-n-grams plateaus at ~0.90 (docs.md)",
)
def test_hotel_trained_model_reaches_the_092_goal_on_unseen_reviews(hotel, hotel_model) -> None:
    _, held, _, held_labels = hotel
    assert evaluate_sentiment(hotel_model, held, held_labels)["accuracy"] >= 0.92


def test_hotel_trained_model_stays_right_85_percent_on_chat_it_never_saw(hotel_model, chat) -> None:
    texts, labels = chat
    metrics = evaluate_sentiment(hotel_model, texts, labels)
    assert metrics["n"] == 29613
    assert metrics["accuracy"] >= 0.85


def test_scoring_takes_under_5_ms_per_review(hotel, hotel_model) -> None:
    _, held, _, held_labels = hotel
    assert evaluate_sentiment(hotel_model, held, held_labels)["ms_per_text"] < 5.0


def test_untrained_default_works_out_of_the_box_on_both_sets(hotel, chat) -> None:
    model = default_sentiment_model()
    _, held, _, held_labels = hotel
    texts, labels = chat
    assert evaluate_sentiment(model, held, held_labels)["accuracy"] >= 0.75
    assert evaluate_sentiment(model, texts, labels)["accuracy"] >= 0.85


def test_short_chat_lines_are_judged_by_the_lexicon_and_reviews_by_the_trained_expert(hotel, hotel_model, chat) -> None:
    _, held, _, _ = hotel
    texts, _ = chat
    review_gate = np.mean([s.gate for s in hotel_model.score(held[:300])])
    chat_gate = np.mean([s.gate for s in hotel_model.score(texts[:300])])
    assert review_gate > 0.9
    assert chat_gate < 0.2
