"""Believable Chinese names for people and companies, drawn from a seeded ``random.Random``.

Why hand-made lists instead of a faker library: the names must be stable for a seed across
library versions (tests compare fingerprints of two builds), and a few hundred characters
give enough variety for a demo company of a few thousand customers.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = [
    "company_name",
    "mobile_number",
    "person_name",
    "short_company_name",
    "unique",
]

# The most common surnames, roughly in order of frequency (weights fall off with rank).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_WEIGHTS = tuple(max(1, 60 - i) for i in range(len(_SURNAMES)))
_GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建志国峰诚晨博文轩睿哲"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪慧莉倩琳颖洁佳琪欣怡悦婧晶瑶蕾薇萍红梅兰月秀雯璐"
_BRAND_FIRST = "华中博恒天金鼎瑞宏安新凯联东锦智云永嘉佳盛汇德益长泰卓鸿远启"
_BRAND_SECOND = "信科通润桥丰达元创程诚邦源航宇晟川禾弘辰峰岳海越星图嘉汇拓"
_TRADE = {
    "制造业": ("精密制造", "机械", "电子", "新材料", "汽车零部件"),
    "零售": ("商贸", "连锁", "百货", "食品"),
    "互联网": ("网络科技", "信息技术", "数字科技", "软件"),
    "医疗": ("医疗器械", "医药", "健康科技", "生物科技"),
    "教育": ("教育科技", "职业培训", "文化传播"),
    "物流": ("物流", "供应链", "运输"),
    "房地产": ("置业", "地产", "物业服务"),
    "金融": ("融资租赁", "保险经纪", "投资管理", "金融服务"),
    "能源": ("能源", "新能源", "电力工程", "燃气"),
    "政府": ("城市发展", "城投", "产业投资", "公共资源"),
}
_SUFFIX = (("有限公司", 70), ("股份有限公司", 20), ("集团有限公司", 10))
_STATE_SUFFIX = ("集团有限公司", "投资集团", "发展中心")


def person_name(rng: random.Random) -> str:
    """A surname plus a one- or two-character given name (two in about 70% of cases)."""
    surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    pool = _GIVEN_MALE if rng.random() < 0.55 else _GIVEN_FEMALE
    given = rng.choice(pool) if rng.random() < 0.3 else rng.choice(pool) + rng.choice(pool)
    return surname + given


def company_name(rng: random.Random, city: str, industry: str) -> str:
    """``{city}{brand}{trade}{legal form}``, e.g. 苏州瑞丰精密制造有限公司."""
    brand = rng.choice(_BRAND_FIRST) + rng.choice(_BRAND_SECOND)
    trade = rng.choice(_TRADE.get(industry, ("科技",)))
    if industry == "政府":
        return f"{city}{brand}{trade}{rng.choice(_STATE_SUFFIX)}"
    suffix = rng.choices([s for s, _ in _SUFFIX], weights=[w for _, w in _SUFFIX])[0]
    return f"{city}{brand}{trade}{suffix}"


def short_company_name(full_name: str, city: str) -> str:
    """The name people say: the brand without city and legal form (苏州瑞丰精密制造有限公司 → 瑞丰)."""
    rest = full_name[len(city):] if full_name.startswith(city) else full_name
    return rest[:2]


def mobile_number(rng: random.Random) -> str:
    """An 11-digit mainland mobile number with a real carrier prefix."""
    prefix = rng.choice(("138", "139", "135", "136", "137", "150", "151", "158", "186", "187", "189", "177"))
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


def unique(rng: random.Random, make: Callable[[random.Random], str], taken: set[str], *,
           attempts: int = 200) -> str:
    """Draw from ``make(rng)`` until the value is not in ``taken``, then record it there.

    After ``attempts`` collisions the value gets a numeric suffix: guaranteed unique, and it
    never happens at demo sizes, so a seed's names do not depend on it.
    """
    value = make(rng)
    tries = 0
    while value in taken and tries < attempts:
        value = make(rng)
        tries += 1
    base, n = value, 2
    while value in taken:
        value = f"{base}{n}"
        n += 1
    taken.add(value)
    return value
