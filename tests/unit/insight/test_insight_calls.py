"""Call analysis on hand-written Chinese transcripts, with the shipped default model."""

from __future__ import annotations

import pytest

from chanli.insight.ml.calls import CUSTOMER, OTHER, REP, analyse_call, coach_reps, detect_topics, parse_transcript
from chanli.insight.ml.default_sentiment import default_sentiment_model
from chanli.insight.ml.sentiment import SentimentModel

PRICE_CALL = """销售：王总您好，我是产力科技的小李，上次发您的方案看了吗？
客户：看了，整体不错，但是价格太贵了，比别家贵了不少。
销售：我们的报价包含三年免费售后和上门培训。
客户：交付周期多久？我们下个月就要上线，怕来不及。
销售：标准交付是三周，可以保证。
客户：这个我做不了主，得跟老板商量一下。"""

HAPPY_CALL = """销售：张经理，合同已经发您邮箱了。
客户：收到了，非常满意，合作愉快！
客户：你们的服务很专业，谢谢。"""

ANGRY_CALL = """客户：设备又坏了，一直没解决，我很失望，要投诉！
销售：非常抱歉，我马上安排工程师上门维修。
客户：太差了。"""


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return default_sentiment_model()


def test_transcript_lines_become_attributed_utterances() -> None:
    utterances = parse_transcript("销售：您好\n客户: 你好\n  接着说\n主持人：开始")
    assert [(u.speaker, u.role, u.text) for u in utterances] == [
        ("销售", REP, "您好"),
        ("客户", CUSTOMER, "你好接着说"),
        ("主持人", OTHER, "开始"),
    ]


def test_text_without_speakers_is_one_unattributed_utterance() -> None:
    utterances = parse_transcript("价格太贵了\n再考虑考虑")
    assert [(u.speaker, u.role, u.text) for u in utterances] == [("", OTHER, "价格太贵了再考虑考虑")]


def test_price_call_raises_price_competitor_delivery_and_decision_maker_topics(model: SentimentModel) -> None:
    insight = analyse_call(PRICE_CALL, model)
    assert [t.name for t in insight.topics] == ["价格敏感", "竞品", "交付担忧", "决策人缺席"]
    assert insight.topics[0].suggestion.startswith("客户对价格敏感，可强调增值服务")
    assert insight.suggestions == [t.suggestion for t in insight.topics]


def test_topics_come_from_the_customer_not_from_the_rep_pitch() -> None:
    utterances = parse_transcript("销售：我们的价格有优惠，售后也有保障。\n客户：好的，了解。")
    assert detect_topics(utterances) == []


def test_explained_away_keywords_do_not_raise_a_topic() -> None:
    assert detect_topics(parse_transcript("客户：价格不是问题，关键看效果。")) == []


def test_trajectory_has_one_score_per_utterance_and_customer_subset(model: SentimentModel) -> None:
    insight = analyse_call(PRICE_CALL, model)
    assert len(insight.trajectory) == 6
    assert insight.customer_trajectory == tuple(insight.trajectory[i] for i in (1, 3, 5))
    assert all(-1.0 <= s <= 1.0 for s in insight.trajectory)


def test_complaint_call_is_negative_and_happy_call_positive(model: SentimentModel) -> None:
    angry = analyse_call(ANGRY_CALL, model)
    happy = analyse_call(HAPPY_CALL, model)
    assert angry.emotion == "消极"
    assert angry.customer_score is not None and angry.customer_score < -0.2
    assert [t.code for t in angry.topics] == ["after_sales_service", "complaint"]
    assert happy.emotion == "积极"
    assert happy.customer_score is not None and happy.customer_score > 0.2


def test_price_objection_after_praise_reads_negative(model: SentimentModel) -> None:
    insight = analyse_call(PRICE_CALL, model)
    assert insight.utterances[1].score < 0  # "整体不错，但是价格太贵了"
    assert insight.utterances[3].score < 0  # "怕来不及"


def test_keywords_skip_pronouns_and_keep_content_words(model: SentimentModel) -> None:
    keywords = analyse_call(PRICE_CALL, model).keywords
    assert "交付" in keywords
    assert "我们" not in keywords
    assert len(keywords) == 8


def test_rep_talk_share_counts_characters_of_attributed_speech(model: SentimentModel) -> None:
    insight = analyse_call("销售：一二三四五六\n客户：一二", model)
    assert insight.rep_talk_share == 0.75


def test_empty_transcript_gives_a_neutral_empty_insight(model: SentimentModel) -> None:
    insight = analyse_call("", model)
    assert (insight.trajectory, insight.topics, insight.call_score, insight.emotion) == ((), (), 0.0, "中性")
    assert insight.rep_talk_share is None


def test_per_rep_summary_counts_calls_topics_and_ranks_suggestions(model: SentimentModel) -> None:
    summaries = coach_reps(
        [("li", PRICE_CALL), ("wang", HAPPY_CALL), ("li", ANGRY_CALL), ("li", "客户：还是太贵了，预算不够。")],
        model,
    )
    assert [s.rep_id for s in summaries] == ["li", "wang"]
    li, wang = summaries
    assert li.calls == 3
    assert li.negative_calls == 3  # price objections, a complaint and "still too expensive"
    assert next(iter(li.topic_counts.items())) == ("价格敏感", 2)
    assert li.suggestions[0].startswith("客户对价格敏感")
    assert len(li.suggestions) == 3
    assert wang.calls == 1
    assert wang.negative_calls == 0
    assert wang.topic_counts == {}  # the contract was mentioned by the rep, not the customer
    assert wang.suggestions == ()
