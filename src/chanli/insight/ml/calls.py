"""Call analysis for coaching (通话洞察): emotion per utterance and per call, the emotional
trajectory, keywords, topics found by keyword rules, and a coaching suggestion per topic, then
a per-rep summary across many calls.

Pure functions over transcript text; the sentiment model is passed in (the shipped default
works with no training data). Transcripts are lines like ``客户：…`` / ``销售：…``; a line
without a speaker continues the previous utterance.

Topic rules are deliberately plain keyword lists with a few "unless" phrases ("价格不是问题"
is not price sensitivity): sales managers can read, argue with and extend them, which they
cannot do with a learned topic model, and there is no labelled call data to learn one from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import fmean

from chanli.insight.ml.sentiment import SentimentModel
from chanli.insight.ml.text import normalize_text

__all__ = [
    "CUSTOMER",
    "OTHER",
    "REP",
    "TOPIC_RULES",
    "CallInsight",
    "RepCoaching",
    "TopicHit",
    "TopicRule",
    "Utterance",
    "analyse_call",
    "coach_reps",
    "detect_topics",
    "extract_keywords",
    "parse_transcript",
]

CUSTOMER, REP, OTHER = "customer", "rep", "other"
CUSTOMER_NAMES = ("客户", "顾客", "客人", "买家", "买方", "甲方", "用户", "customer", "client")
REP_NAMES = ("销售", "顾问", "客服", "经理", "业务员", "坐席", "我方", "乙方", "sales", "rep", "agent")
_SPEAKER = re.compile(r"^\s*([^：:\s]{1,12})\s*[：:]\s*(.*)$")
NEGATIVE_BELOW, POSITIVE_ABOVE = -0.2, 0.2
KEYWORD_STOPWORDS = frozenset(
    {
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "一下",
        "什么",
        "可以",
        "就是",
        "还是",
        "没有",
        "现在",
        "一个",
        "这边",
        "那边",
        "您好",
        "你好",
        "好的",
        "然后",
        "因为",
        "所以",
        "如果",
        "但是",
        "的话",
        "这样",
        "怎么",
    }
)


@dataclass(frozen=True, slots=True)
class Utterance:
    speaker: str
    role: str  # CUSTOMER, REP or OTHER
    text: str
    score: float = 0.0  # -1 … +1


@dataclass(frozen=True, slots=True)
class TopicRule:
    """A topic found when any keyword occurs in the watched utterances, unless an exception
    phrase explains the keyword away."""

    code: str
    name: str
    keywords: tuple[str, ...]
    suggestion: str
    unless: tuple[str, ...] = ()
    customer_only: bool = True


@dataclass(frozen=True, slots=True)
class TopicHit:
    code: str
    name: str
    evidence: tuple[str, ...]  # the keywords that fired
    suggestion: str


TOPIC_RULES: tuple[TopicRule, ...] = (
    TopicRule(
        "price_sensitivity",
        "价格敏感",
        (
            "太贵",
            "贵了",
            "价格",
            "报价",
            "便宜",
            "预算",
            "折扣",
            "优惠",
            "打折",
            "降价",
            "砍价",
            "性价比",
            "费用太高",
            "超预算",
        ),
        "客户对价格敏感，可强调增值服务和总体拥有成本，必要时给出阶梯报价或限时优惠。",
        unless=("价格不是问题", "价格没问题", "不在乎价格", "价格可以接受", "价格合理"),
    ),
    TopicRule(
        "competitor",
        "竞品",
        (
            "竞品",
            "竞争对手",
            "别家",
            "其他家",
            "友商",
            "另一家",
            "同类产品",
            "人家公司",
            "对比了",
            "比较了几家",
            "比你们便宜",
        ),
        "客户提到竞品，可用对比表突出我方差异化优势和成功案例，避免贬低对手。",
    ),
    TopicRule(
        "delivery_worry",
        "交付担忧",
        ("交付", "交货", "发货", "到货", "工期", "上线时间", "延期", "延迟", "来得及", "赶得上", "实施周期", "多久能"),
        "客户担心交付，可给出明确的交付计划和里程碑，并提供过往准时交付的案例。",
    ),
    TopicRule(
        "decision_maker_absent",
        "决策人缺席",
        (
            "老板不在",
            "领导不在",
            "请示",
            "向领导汇报",
            "跟领导汇报",
            "做不了主",
            "说了不算",
            "和老板商量",
            "跟老板商量",
            "领导拍板",
            "老板拍板",
            "上面决定",
            "需要审批",
        ),
        "决策人未参与，可争取与决策人会面，并准备一页式方案便于对接人向上汇报。",
    ),
    TopicRule(
        "contract_payment_terms",
        "合同与付款条款",
        ("合同", "付款", "账期", "分期", "预付", "首付", "尾款", "发票", "条款", "违约金", "付款方式"),
        "客户关注合同与付款条款，可提前准备标准条款说明和灵活的付款方案，并请法务、财务确认。",
    ),
    TopicRule(
        "after_sales_service",
        "售后服务",
        ("售后", "维修", "保修", "质保", "技术支持", "培训", "退换", "退货", "坏了", "响应时间", "上门服务"),
        "客户关注售后服务，可介绍服务响应时效、质保政策和专属客户成功经理。",
    ),
    TopicRule(
        "hesitation",
        "犹豫拖延",
        ("考虑考虑", "再考虑", "再看看", "再说吧", "不着急", "以后再说", "回头再联系", "过段时间", "等等看"),
        "客户犹豫不决，可直接询问顾虑所在，并约定下一次沟通的具体时间和内容。",
    ),
    TopicRule(
        "complaint",
        "投诉不满",
        ("投诉", "不满意", "太差", "失望", "生气", "糟糕", "没人管", "一直没解决"),
        "客户有不满情绪，先共情致歉，再给出具体补救措施和完成时限。",
    ),
)


def _role_of(speaker: str) -> str:
    name = speaker.strip().lower()
    if any(name.startswith(n) for n in CUSTOMER_NAMES):
        return CUSTOMER
    if any(name.startswith(n) for n in REP_NAMES):
        return REP
    return OTHER


def parse_transcript(transcript: str) -> list[Utterance]:
    """Utterances in order. A line ``说话人：内容`` starts an utterance; other lines continue it
    (or form an unattributed utterance when nothing came before)."""
    utterances: list[tuple[str, str]] = []
    for raw in transcript.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _SPEAKER.match(line)
        if match and match.group(2).strip():
            utterances.append((match.group(1), match.group(2).strip()))
        elif utterances:
            speaker, text = utterances[-1]
            utterances[-1] = (speaker, f"{text}{line}")
        else:
            utterances.append(("", line))
    return [Utterance(speaker, _role_of(speaker), text) for speaker, text in utterances]


def detect_topics(utterances: Sequence[Utterance], rules: Sequence[TopicRule] = TOPIC_RULES) -> list[TopicHit]:
    """Topics in rule order. Customer-side rules look at the customer's words when the call has
    attributed customer lines, otherwise at everything said."""
    has_customer = any(u.role == CUSTOMER for u in utterances)
    hits = []
    for rule in rules:
        watched = [u.text for u in utterances if not (rule.customer_only and has_customer) or u.role == CUSTOMER]
        text = normalize_text("。".join(watched))
        for phrase in rule.unless:
            text = text.replace(phrase, "")
        found = tuple(k for k in rule.keywords if k in text)
        if found:
            hits.append(TopicHit(rule.code, rule.name, found, rule.suggestion))
    return hits


@lru_cache(maxsize=1)
def _keyword_extractor() -> object:
    import jieba.analyse

    from chanli.insight.ml.text import _tokenizer

    extractor = jieba.analyse.TFIDF()
    extractor.tokenizer = _tokenizer()
    return extractor


def extract_keywords(texts: Iterable[str], top: int = 8) -> list[str]:
    """The ``top`` keywords of the texts by TF-IDF against jieba's bundled IDF table."""
    joined = normalize_text("。".join(texts))
    if not joined:
        return []
    tags = _keyword_extractor().extract_tags(joined, topK=top + len(KEYWORD_STOPWORDS))  # type: ignore[attr-defined]
    return [t for t in tags if t not in KEYWORD_STOPWORDS][:top]


@dataclass(frozen=True, slots=True)
class CallInsight:
    utterances: tuple[Utterance, ...]
    call_score: float  # mean over all utterances, -1 … +1
    customer_score: float | None  # mean over the customer's utterances; None if none attributed
    emotion: str  # 积极 / 中性 / 消极, from the customer's score when there is one
    trajectory: tuple[float, ...]  # utterance scores in order
    customer_trajectory: tuple[float, ...]
    keywords: tuple[str, ...]
    topics: tuple[TopicHit, ...]
    rep_talk_share: float | None  # share of characters spoken by the rep

    @property
    def suggestions(self) -> list[str]:
        return [t.suggestion for t in self.topics]


def _emotion_label(score: float) -> str:
    if score <= NEGATIVE_BELOW:
        return "消极"
    if score >= POSITIVE_ABOVE:
        return "积极"
    return "中性"


def analyse_call(transcript: str, model: SentimentModel, keywords: int = 8) -> CallInsight:
    """Everything a coach wants from one call. An empty transcript gives a neutral, empty insight."""
    parsed = parse_transcript(transcript)
    scores = [s.score for s in model.score([u.text for u in parsed])]
    utterances = tuple(Utterance(u.speaker, u.role, u.text, score) for u, score in zip(parsed, scores, strict=True))
    customer = [u.score for u in utterances if u.role == CUSTOMER]
    call_score = round(fmean(scores), 4) if scores else 0.0
    customer_score = round(fmean(customer), 4) if customer else None
    rep_chars = sum(len(u.text) for u in utterances if u.role == REP)
    attributed = sum(len(u.text) for u in utterances if u.role in (REP, CUSTOMER))
    return CallInsight(
        utterances=utterances,
        call_score=call_score,
        customer_score=customer_score,
        emotion=_emotion_label(customer_score if customer_score is not None else call_score),
        trajectory=tuple(scores),
        customer_trajectory=tuple(customer),
        keywords=tuple(extract_keywords([u.text for u in utterances], keywords)),
        topics=tuple(detect_topics(utterances)),
        rep_talk_share=round(rep_chars / attributed, 4) if attributed and rep_chars else (0.0 if attributed else None),
    )


@dataclass(frozen=True, slots=True)
class RepCoaching:
    """One rep's calls summed up for a coaching conversation."""

    rep_id: str
    calls: int
    mean_customer_score: float | None
    negative_calls: int
    topic_counts: dict[str, int] = field(default_factory=dict)  # topic name → calls it came up in
    suggestions: tuple[str, ...] = ()  # one per recurring topic, most frequent first
    mean_rep_talk_share: float | None = None
    keywords: tuple[str, ...] = ()


def coach_reps(calls: Iterable[tuple[str, str]], model: SentimentModel, top_topics: int = 3) -> list[RepCoaching]:
    """Per-rep summary from ``(rep_id, transcript)`` pairs, reps in first-seen order.

    Suggestions come from the rep's most frequent topics (ties broken by rule order), so a
    manager sees "price keeps coming up in your calls" rather than one call's accident.
    """
    insights: dict[str, list[CallInsight]] = {}
    for rep_id, transcript in calls:
        insights.setdefault(rep_id, []).append(analyse_call(transcript, model))
    order = {rule.name: i for i, rule in enumerate(TOPIC_RULES)}
    suggestion_of = {rule.name: rule.suggestion for rule in TOPIC_RULES}
    summaries = []
    for rep_id, rep_calls in insights.items():
        topic_counts: Counter[str] = Counter()
        for call in rep_calls:
            topic_counts.update({t.name for t in call.topics})
        ranked = sorted(topic_counts, key=lambda name: (-topic_counts[name], order.get(name, len(order))))
        customer_scores = [c.customer_score for c in rep_calls if c.customer_score is not None]
        talk = [c.rep_talk_share for c in rep_calls if c.rep_talk_share is not None]
        keyword_counts: Counter[str] = Counter(k for c in rep_calls for k in c.keywords)
        summaries.append(
            RepCoaching(
                rep_id=rep_id,
                calls=len(rep_calls),
                mean_customer_score=round(fmean(customer_scores), 4) if customer_scores else None,
                negative_calls=sum(1 for c in rep_calls if c.emotion == "消极"),
                topic_counts={name: topic_counts[name] for name in ranked},
                suggestions=tuple(suggestion_of[name] for name in ranked[:top_topics] if name in suggestion_of),
                mean_rep_talk_share=round(fmean(talk), 4) if talk else None,
                keywords=tuple(k for k, _ in keyword_counts.most_common(8)),
            )
        )
    return summaries
