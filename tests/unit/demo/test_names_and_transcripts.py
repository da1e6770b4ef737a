"""Names and call transcripts: believable, deterministic for a seed, and telling the tone."""

from __future__ import annotations

import random

from chanli.demo.names import company_name, mobile_number, person_name, short_company_name, unique
from chanli.demo.transcripts import Tone, Topic, transcript


def test_person_names_are_a_common_surname_and_a_one_or_two_character_given_name() -> None:
    rng = random.Random(1)
    names = [person_name(rng) for _ in range(500)]
    assert {len(n) for n in names} == {2, 3}
    assert all("\u4e00" <= ch <= "\u9fff" for n in names for ch in n)
    common = sum(1 for n in names if n[0] in "王李张刘陈")  # the five most common surnames lead
    assert common > 0.15 * len(names)


def test_the_same_seed_draws_the_same_names_and_another_seed_others() -> None:
    def draw(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [person_name(rng) for _ in range(20)]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_company_names_start_with_the_city_and_end_with_a_legal_form() -> None:
    rng = random.Random(3)
    for _ in range(200):
        name = company_name(rng, "苏州", "制造业")
        assert name.startswith("苏州")
        assert name.endswith(("有限公司", "股份有限公司", "集团有限公司"))
    state = company_name(random.Random(4), "北京", "政府")
    assert state.startswith("北京") and state.endswith(("集团有限公司", "投资集团", "发展中心"))


def test_the_short_name_is_the_brand_people_say() -> None:
    assert short_company_name("苏州瑞丰精密制造有限公司", "苏州") == "瑞丰"


def test_unique_never_returns_a_taken_value_and_records_what_it_returns() -> None:
    taken = {"张伟"}
    values = [unique(random.Random(0), lambda _r: "张伟", taken) for _ in range(3)]
    assert values == ["张伟2", "张伟3", "张伟4"]
    assert taken == {"张伟", "张伟2", "张伟3", "张伟4"}


def test_mobile_numbers_have_eleven_digits_and_a_carrier_prefix() -> None:
    rng = random.Random(5)
    for _ in range(100):
        number = mobile_number(rng)
        assert len(number) == 11 and number.isdigit() and number[:2] in ("13", "15", "17", "18")


def test_a_transcript_alternates_speakers_in_the_customer_sales_format() -> None:
    text = transcript(random.Random(1), tone=Tone.POSITIVE, topics=(Topic.DELIVERY, Topic.DECISION),
                      contact="王总", rep="李明", product="产力CRM 企业版")
    lines = text.split("\n")
    assert len(lines) == 8
    assert all(line.startswith(("客户：", "销售：")) for line in lines)
    assert lines[0] == "销售：王总您好，我是产力科技的李明，上次的方案您看得怎么样？"
    assert "总经理已经同意" in text and "交付周期" in text


def test_a_lost_on_price_call_sounds_negative_and_talks_about_price_and_a_competitor() -> None:
    text = transcript(random.Random(2), tone=Tone.NEGATIVE, topics=(Topic.COMPETITOR, Topic.PRICE),
                      contact="赵总", rep="孙丽", product="智能外呼 AI坐席")
    assert "价格太高" in text
    assert any(name in text for name in ("云帆CRM", "鼎盛软件", "速达云", "海纳科技"))
    assert text.split("\n")[-1] == "客户：嗯，有需要再说吧。"
