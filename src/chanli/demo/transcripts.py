"""Short Chinese sales-call transcripts (``客户：… / 销售：…``) with a tone and topics.

Why templates with a known tone: the sentiment and topic models in ``insight`` need calls
whose tone follows the deal (won deals sound positive, lost ones negative, with the lost
reason audible: price, a competitor, a cancelled budget), so a model trained on the demo
learns something true about it.
"""

from __future__ import annotations

import random
from enum import StrEnum

from chanli.demo.catalog import COMPETITORS

__all__ = ["Tone", "Topic", "transcript"]


class Tone(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Topic(StrEnum):
    PRICE = "price"
    COMPETITOR = "competitor"
    DELIVERY = "delivery"
    DECISION = "decision"
    BUDGET = "budget"
    REQUIREMENT = "requirement"


_OPENING = {
    Tone.POSITIVE: (
        ("销售", "{contact}您好，我是{company}的{rep}，上次的方案您看得怎么样？"),
        ("客户", "看过了，整体挺满意的，{product}正好能解决我们的问题。"),
    ),
    Tone.NEUTRAL: (
        ("销售", "{contact}您好，我是{company}的{rep}，想跟进一下{product}的试用情况。"),
        ("客户", "试用了一周，功能还行，我们还在内部评估。"),
    ),
    Tone.NEGATIVE: (
        ("销售", "{contact}您好，我是{company}的{rep}，想了解一下项目目前的进展。"),
        ("客户", "说实话，最近这个项目推进得不太顺利。"),
    ),
}

_TOPIC_LINES: dict[Topic, dict[Tone, tuple[tuple[str, str], ...]]] = {
    Topic.PRICE: {
        Tone.POSITIVE: (("客户", "价格方面我们能接受，折扣再确认一下就好。"),
                        ("销售", "没问题，这个报价已经是年底的优惠价了，我把最终报价单发您。")),
        Tone.NEUTRAL: (("客户", "报价比预期高一点，能不能再给些折扣？"),
                       ("销售", "我申请一下，如果今年签约可以多送两天实施服务。")),
        Tone.NEGATIVE: (("客户", "你们的价格太高了，超出我们预算不少。"),
                        ("销售", "理解，我们可以先上基础模块，分期投入。"),
                        ("客户", "就算这样还是贵，我们很难说服老板。")),
    },
    Topic.COMPETITOR: {
        Tone.POSITIVE: (("客户", "我们也看过{competitor}，但还是觉得你们的方案更贴合我们的业务。"),
                        ("销售", "谢谢认可，我们在您这个行业有不少成功案例。")),
        Tone.NEUTRAL: (("客户", "{competitor}也在跟我们谈，我们会两家对比一下。"),
                       ("销售", "可以的，我整理一份对比材料给您参考。")),
        Tone.NEGATIVE: (("客户", "{competitor}给的价格低很多，而且承诺一个月上线。"),
                        ("销售", "我们的数据安全和服务响应更有保障，您可以再比较一下。"),
                        ("客户", "领导比较倾向{competitor}，我们可能不考虑了。")),
    },
    Topic.DELIVERY: {
        Tone.POSITIVE: (("客户", "交付周期能不能控制在一个月以内？我们下个季度要用。"),
                        ("销售", "可以，实施团队已经排好了，签约后两周就能启动。")),
        Tone.NEUTRAL: (("客户", "实施要多久？需要我们配合哪些资源？"),
                       ("销售", "一般六到八周，需要您这边指定一位项目对接人。")),
        Tone.NEGATIVE: (("客户", "上次说的交付时间一直在往后拖，我们很担心。"),
                        ("销售", "非常抱歉，我马上跟交付团队确认具体排期。")),
    },
    Topic.DECISION: {
        Tone.POSITIVE: (("客户", "我们总经理已经同意了，下周可以走合同流程。"),
                        ("销售", "太好了，我今天就把合同草稿发给采购。")),
        Tone.NEUTRAL: (("客户", "最后还得老板拍板，采购和IT总监也要参与评审。"),
                       ("销售", "明白，我们可以安排一次给决策层的专场演示。")),
        Tone.NEGATIVE: (("客户", "决策人换了，新来的总监想重新评估所有供应商。"),
                        ("销售", "那我能不能约新总监见一面，介绍一下我们的方案？"),
                        ("客户", "暂时不太方便，等他熟悉情况再说吧。")),
    },
    Topic.BUDGET: {
        Tone.POSITIVE: (("客户", "今年的预算已经批下来了，这个项目在预算里。"),
                        ("销售", "好的，那我们按年度方案来走。")),
        Tone.NEUTRAL: (("客户", "预算要等下个季度才能确定。"),
                       ("销售", "没关系，我们可以先把方案和合同条款确定下来。")),
        Tone.NEGATIVE: (("客户", "公司今年缩减开支，这个项目的预算被砍掉了。"),
                        ("销售", "明白了，那我们保持联系，明年预算启动时再沟通。")),
    },
    Topic.REQUIREMENT: {
        Tone.POSITIVE: (("客户", "你们的移动端和报表正是我们一线销售需要的。"),
                        ("销售", "对，很多客户上线后第一个月就能看到管理效率提升。")),
        Tone.NEUTRAL: (("客户", "我们还需要和现有的ERP打通，这个能做吗？"),
                       ("销售", "可以，我们有标准接口，实施时一起对接。")),
        Tone.NEGATIVE: (("客户", "业务调整了，原来的需求现在不一定还需要。"),
                        ("销售", "那我们要不要重新梳理一下您现在的需求？"),
                        ("客户", "先缓一缓吧，等内部定下来再说。")),
    },
}

_CLOSING = {
    Tone.POSITIVE: (("销售", "好的，那我们下周见面把细节敲定。"), ("客户", "好，辛苦了，期待合作。")),
    Tone.NEUTRAL: (("销售", "好的，我整理一下材料，过两天再跟您联系。"), ("客户", "行，保持沟通。")),
    Tone.NEGATIVE: (("销售", "好的，有任何变化随时联系我。"), ("客户", "嗯，有需要再说吧。")),
}


def transcript(
    rng: random.Random,
    *,
    tone: Tone,
    topics: tuple[Topic, ...],
    contact: str,
    rep: str,
    product: str,
    company: str = "产力科技",
) -> str:
    """A call of several utterances, one per line, in speaking order.

    The opening and closing carry the ``tone``; each of ``topics`` adds two or three lines
    in that tone, so a reader (or a model) can hear why a deal was won or lost.
    """
    competitor = rng.choice(COMPETITORS)
    lines = list(_OPENING[tone])
    for topic in topics:
        lines.extend(_TOPIC_LINES[topic][tone])
    lines.extend(_CLOSING[tone])
    values = {"contact": contact, "rep": rep, "product": product, "company": company, "competitor": competitor}
    return "\n".join(f"{speaker}：{text.format(**values)}" for speaker, text in lines)
