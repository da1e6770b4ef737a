"""Sentiment building blocks: text normalisation, the shipped lexicon, and the evidence gate."""

from __future__ import annotations

import pickle

import pytest

from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.lexicon import lexicon_score
from chanli.insight.ml.sentiment import SentimentModel, lexicon_only_model, train_sentiment
from chanli.insight.ml.text import normalize_text, split_clauses, tokenize


def test_spaces_between_chinese_words_are_removed_and_width_folded() -> None:
    assert normalize_text("奖励 就是 亲") == "奖励就是亲"
    assert normalize_text("ＶＩＰ客户，  满意") == "VIP客户,满意"
    assert normalize_text("good  service") == "good service"


def test_clauses_split_at_punctuation_but_not_decimal_points() -> None:
    assert split_clauses("单价3.5元，太贵了！不过服务好") == ["单价3.5元", "太贵了", "不过服务好"]


def test_negation_flips_a_sentiment_word() -> None:
    assert lexicon_score(tokenize("我们很满意")) > 0
    assert lexicon_score(tokenize("我们不满意")) < 0
    assert lexicon_score(tokenize("没有不好的地方")) > lexicon_score(tokenize("不好"))


def test_the_clause_after_a_contrast_outweighs_the_one_before() -> None:
    assert lexicon_score(tokenize("整体不错，但是价格太贵了")) < 0
    assert lexicon_score(tokenize("价格有点贵，但是效果很好")) > 0


def test_sales_words_missing_from_curated_lists_carry_polarity() -> None:
    assert lexicon_score(tokenize("已经签约了")) > 0
    assert lexicon_score(tokenize("怕来不及")) < 0


def test_text_without_sentiment_words_scores_zero() -> None:
    assert lexicon_score(tokenize("ABC123")) == 0.0
    assert lexicon_score([]) == 0.0


def test_lexicon_only_model_marks_every_verdict_as_lexicon_decided() -> None:
    scores = lexicon_only_model().score(["这个客户非常满意，已经签约了", "", "服务太差了"])
    assert [s.label for s in scores] == [1, 0, 0]
    assert scores[1].probability == 0.5  # no evidence: neutral, which is not "positive"
    assert [s.gate for s in scores] == [0.0, 0.0, 0.0]


TRAIN_TEXTS = [
    *[f"酒店{a}房间{b}，前台服务热情，早餐丰富，下次还住" for a in "大小新旧" for b in "干净整洁明亮"],
    *[f"酒店{a}房间{b}，前台态度冷淡，早餐难吃，不会再来" for a in "大小新旧" for b in "脏乱暗旧"],
]
TRAIN_LABELS = [1] * 24 + [0] * 16


@pytest.fixture(scope="module")
def hotel_model() -> SentimentModel:
    return train_sentiment(TRAIN_TEXTS, TRAIN_LABELS)


def test_familiar_long_texts_are_decided_by_the_trained_expert(hotel_model: SentimentModel) -> None:
    [score] = hotel_model.score(["酒店大房间干净，前台服务热情，早餐丰富，下次还住"])
    assert score.gate > 0.9
    assert score.label == 1


def test_unfamiliar_short_texts_fall_back_to_the_lexicon(hotel_model: SentimentModel) -> None:
    [score] = hotel_model.score(["机器人真聪明"])
    assert score.gate == 0.0
    assert score.probability == lexicon_only_model().score(["机器人真聪明"])[0].probability


def test_trained_model_survives_pickling(hotel_model: SentimentModel) -> None:
    restored = pickle.loads(pickle.dumps(hotel_model))
    texts = ["酒店旧房间脏，前台态度冷淡", "很好"]
    assert [s.probability for s in restored.score(texts)] == [s.probability for s in hotel_model.score(texts)]


def test_training_needs_both_labels_and_enough_texts() -> None:
    with pytest.raises(InsightInputError, match="at least 10 labelled texts"):
        train_sentiment(["好"] * 3, [1, 0, 1])
    with pytest.raises(InsightInputError, match="3 texts but 2 labels"):
        train_sentiment(["好", "坏", "行"], [1, 0])
