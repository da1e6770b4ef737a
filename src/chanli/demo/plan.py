"""Plan the demo company: a pure, seeded function from ``DemoSpec`` to ``DemoPlan``.

How the history is made, and why in this order:

1. **Org** — a company, three regions, seven territory teams and a key-account product line,
   a director per region and a manager per team, reps of three tiers, iron-triangle
   solution and service people, and mentor pairs (every new hire gets an elite mentor).
2. **Installed base** — customers who signed a yearly subscription in the year *before* the
   window, so renewals fall due inside it.
3. **Deal flow** — deals that close each month are drawn from the company's seasonality
   (``catalog.SEASONALITY``: Q4 and March peaks, a February dip), each given to a rep who was
   on board by then, weighted by tier capacity. Each deal is won with the rep's tier win
   rate shifted by its lead source; its lead, account, contacts, stage moves, activities
   and (sometimes) a recorded call are planned backwards from the close date. Deals still
   open today fill the pipeline.
4. **Orders, payments, cancellations** for won deals; most customers pay on time, some
   late, some never; a few orders are cancelled.
5. **Complaints, then renewals** — complaint-prone customers file complaints *before* their
   renewal falls due, and a renewal churns far more often when a complaint precedes it.
   Renewed contracts become renewal orders, whose own renewals are pending.

Every part draws from its own random stream (``stream(seed, part)``), so changing how one
part is generated does not reshuffle the others. Nothing reads the clock: ``spec.today``
is the first day without history.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from chanli.core.money import allocate
from chanli.crm import model as crm_model
from chanli.demo import catalog as cat
from chanli.demo.model import (
    DEMO_LOGINS,
    DemoPlan,
    DemoSpec,
    PlannedAccount,
    PlannedActivity,
    PlannedCall,
    PlannedContact,
    PlannedFeedback,
    PlannedLead,
    PlannedLine,
    PlannedMentorship,
    PlannedMove,
    PlannedOpportunity,
    PlannedOrder,
    PlannedPayment,
    PlannedPerson,
    PlannedProduct,
    PlannedRenewal,
    PlannedTeam,
    PlannedTerritory,
)
from chanli.demo.names import company_name, mobile_number, person_name, short_company_name, unique
from chanli.demo.transcripts import Tone, Topic, transcript
from chanli.org import CompanyProfile, JobRole, TeamKind, Tier

__all__ = [
    "BASE_ACCOUNTS_PER_REP",
    "CHURN_RATE",
    "CLOSINGS_PER_REP_MONTH",
    "at_work",
    "plan_demo",
    "stream",
    "working_day",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")

CLOSINGS_PER_REP_MONTH = 1.6  # deals decided (won or lost) per rep and month in an average month
OPEN_PIPELINE_MONTHS = 1.8  # open deals today, in months of average closings
EXPANSION_SHARE = 0.12  # deals that sell more to an existing customer instead of a new lead
BASE_ACCOUNTS_PER_REP = {Tier.ELITE: 5, Tier.CORE: 3, Tier.NEW: 0}
KEY_ACCOUNT_BASE_PER_REP = {Tier.ELITE: 3, Tier.CORE: 2, Tier.NEW: 0}  # fewer, bigger customers
CHURN_RATE = {True: 0.55, False: 0.10}  # renewal churn with / without a complaint before the due date
COMPLAINT_PRONE_SHARE = 0.25
CANCEL_SHARE = 0.03
PENDING_RENEWAL_DAYS = 20  # renewals due this recently are still being negotiated
_STAGE_PATH = ("discovery", "proposal", "negotiation")


# --- small pure helpers ---------------------------------------------------------------------


def stream(seed: int, part: str) -> random.Random:
    """An independent, reproducible random stream for one part of the plan."""
    return random.Random(f"chanli-demo:{seed}:{part}")


def _pick(rng: random.Random, weights: dict[T, float] | dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day_between(rng: random.Random, lo: date, hi: date) -> date:
    """A day in [lo, hi); ``lo`` itself when the span is empty."""
    span = (hi - lo).days
    return lo if span <= 0 else lo + timedelta(days=rng.randrange(span))


def working_day(day: date, lo: date, hi: date) -> date:
    """``day`` moved off the weekend (forward to Monday, or back to Friday when Monday is not
    before ``hi``), staying inside [lo, hi) when that span has a working day at all."""
    if day.weekday() < 5:
        return day
    forward = day + timedelta(days=7 - day.weekday())
    if forward < hi:
        return forward
    back = day - timedelta(days=day.weekday() - 4)
    return back if back >= lo else day


def at_work(rng: random.Random, day: date, *, first_hour: int = 9, last_hour: int = 18) -> datetime:
    """A moment in office hours (Asia/Shanghai) on ``day``, as an aware UTC timestamp."""
    minute = rng.randrange((last_hour - first_hour) * 60)
    local = datetime.combine(day, time(first_hour + minute // 60, minute % 60), tzinfo=SHANGHAI)
    return local.astimezone(UTC)


def _moments(rng: random.Random, days: Sequence[date]) -> list[datetime]:
    """Office-hour moments on ``days`` (non-decreasing), strictly increasing even when
    several fall on the same day."""
    out: list[datetime] = []
    i = 0
    while i < len(days):
        j = i
        while j < len(days) and days[j] == days[i]:
            j += 1
        for minute in sorted(rng.sample(range(9 * 60), j - i)):
            local = datetime.combine(days[i], time(9 + minute // 60, minute % 60), tzinfo=SHANGHAI)
            out.append(local.astimezone(UTC))
        i = j
    return out


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _one_year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


# --- the planner ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Deal:
    """A deal slot before it becomes rows: who owns it, when it is decided (won or lost is
    drawn when it is realised), and whether it sells more to an existing customer."""

    owner: PlannedPerson
    close_on: date | None  # None: still open today
    expansion_of: str | None  # account key of the existing customer


class _Planner:
    """Holds the growing plan while the phases run; ``plan_demo`` is its only user."""

    def __init__(self, spec: DemoSpec) -> None:
        self.spec = spec
        self.start, self.today = spec.start, spec.today
        self.now = datetime.combine(spec.today, time(0), tzinfo=SHANGHAI).astimezone(UTC)  # today's first moment
        self.teams: list[PlannedTeam] = []
        self.people: list[PlannedPerson] = []
        self.territories: list[PlannedTerritory] = []
        self.mentorships: list[PlannedMentorship] = []
        self.products = {
            p.key: PlannedProduct(f"DEMO-PRD-{p.key.upper()}", p.name, p.series, p.list_price) for p in cat.PRODUCTS
        }
        self.specs = {p.key: p for p in cat.PRODUCTS}
        self.catalog_key = {p.key: k for k, p in self.products.items()}  # external key → catalog key
        self.product_by_key = {p.key: p for p in self.products.values()}
        self.people_by_key: dict[str, PlannedPerson] = {}
        self.accounts: dict[str, PlannedAccount] = {}
        self.contacts: list[PlannedContact] = []
        self.decision_maker: dict[str, str] = {}  # account key → contact name
        self.leads: list[PlannedLead] = []
        self.opportunities: list[PlannedOpportunity] = []
        self.orders: list[PlannedOrder] = []
        self.renewals: list[PlannedRenewal] = []
        self.activities: list[PlannedActivity] = []
        self.calls: list[PlannedCall] = []
        self.feedback: list[PlannedFeedback] = []
        self.team_of: dict[str, cat.TeamSpec] = {}  # person key → team
        self.base_accounts: dict[str, list[str]] = {}  # rep key → installed-base account keys
        self.solution_by_region: dict[str, str] = {}
        self.service_by_region: dict[str, str] = {}
        self.person_names: set[str] = set()
        self.company_names: set[str] = set()
        self._seq: dict[str, int] = {}

    def key(self, prefix: str) -> str:
        n = self._seq.get(prefix, 0) + 1
        self._seq[prefix] = n
        return f"DEMO-{prefix}-{n:05d}"

    # --- 1. org ---------------------------------------------------------------------------
    def plan_org(self, rng: random.Random) -> None:
        hq = PlannedTeam("DEMO-T-HQ", cat.COMPANY_NAME, TeamKind.COMPANY, None)
        self.teams.append(hq)
        year = 365
        history = self.start - timedelta(days=year)  # the installed base signed from here on
        vp = self._person(rng, "DEMO-VP", hq.key, JobRole.DIRECTOR, Tier.ELITE,
                          history - timedelta(days=rng.randint(5 * year, 10 * year)), None)
        regions = {}
        for region in cat.REGIONS:
            team = PlannedTeam(f"DEMO-T-{region.code}", region.name, TeamKind.REGION, hq.key, region.code)
            self.teams.append(team)
            regions[region.key] = team
            director = self._person(rng, f"DEMO-DIR-{region.code}", team.key, JobRole.DIRECTOR, Tier.ELITE,
                                    history - timedelta(days=rng.randint(3 * year, 9 * year)), vp.key)
            self.solution_by_region[region.key] = self._person(
                rng, f"DEMO-SOL-{region.code}", team.key, JobRole.SOLUTION, Tier.CORE,
                history - timedelta(days=rng.randint(year, 5 * year)), director.key).key
            self.service_by_region[region.key] = self._person(
                rng, f"DEMO-SVC-{region.code}", team.key, JobRole.SERVICE, Tier.CORE,
                history - timedelta(days=rng.randint(year, 5 * year)), director.key).key
        for spec in cat.TEAMS:
            parent = regions[spec.region_key] if spec.region_key else hq
            code = spec.key.upper()
            team = PlannedTeam(f"DEMO-T-{code}", spec.name, spec.kind, parent.key, parent.region_code)
            self.teams.append(team)
            boss = f"DEMO-DIR-{parent.region_code}" if spec.region_key else vp.key
            manager = self._person(rng, f"DEMO-MGR-{code}", team.key, JobRole.MANAGER, Tier.ELITE,
                                   history - timedelta(days=rng.randint(2 * year, 7 * year)), boss)
            elites: list[PlannedPerson] = []
            for i, tier in enumerate(spec.rep_tiers, start=1):
                rep = self._person(rng, f"DEMO-REP-{code}-{i:02d}", team.key, JobRole.REP, tier,
                                   self._hire_date(rng, tier, history), manager.key)
                self.team_of[rep.key] = spec
                if tier is Tier.ELITE:
                    elites.append(rep)
                elif tier is Tier.NEW and elites:  # elites come first in ``rep_tiers``
                    mentor = elites[sum(1 for m in self.mentorships if m.mentor_key.startswith(f"DEMO-REP-{code}-"))
                                    % len(elites)]
                    self.mentorships.append(PlannedMentorship(
                        mentor.key, rep.key, rep.hire_date, rep.hire_date + timedelta(days=year),
                        Decimal(rng.choice(("0.05", "0.06", "0.08", "0.10")))))
            self.territories.append(PlannedTerritory(
                f"DEMO-TER-{code}", f"{spec.name}辖区", team.key,
                tuple(dict.fromkeys(cat.CITIES[c].province for c in spec.cities)) if spec.region_key else (),
                spec.industries))

    def _hire_date(self, rng: random.Random, tier: Tier, history: date) -> date:
        """New hires joined within the last year; core reps before the installed base was
        sold; elite reps years before that."""
        if tier is Tier.NEW:
            return self.today - timedelta(days=rng.randint(30, 360))
        if tier is Tier.CORE:
            return history - timedelta(days=rng.randint(60, 3 * 365))
        return history - timedelta(days=rng.randint(365, 7 * 365))

    def _person(self, rng: random.Random, key: str, team_key: str, job_role: JobRole, tier: Tier,
                hire_date: date, manager_key: str | None) -> PlannedPerson:
        name = unique(rng, person_name, self.person_names)
        person = PlannedPerson(key, name, team_key, job_role, tier, hire_date, manager_key,
                               f"{key.removeprefix('DEMO-').lower()}@chanli.example", mobile_number(rng))
        self.people.append(person)
        self.people_by_key[key] = person
        return person

    @property
    def reps(self) -> list[PlannedPerson]:
        return [p for p in self.people if p.job_role is JobRole.REP]

    # --- accounts, contacts, quotes -------------------------------------------------------
    def _account(self, rng: random.Random, owner: PlannedPerson, *, base: bool) -> PlannedAccount:
        team = self.team_of[owner.key]
        key_account = team.region_key is None
        industry = rng.choice(cat.KEY_ACCOUNT_INDUSTRIES) if key_account else _pick(rng, _REGIONAL_INDUSTRIES)
        city = cat.CITIES[rng.choice(team.cities)]
        region = next(r for r in cat.REGIONS if r.key == city.region_key)
        if key_account:
            grade = "A" if rng.random() < 0.85 else "B"
        else:
            grade = _pick(rng, {"A": 15, "B": 45, "C": 40} if base else {"A": 10, "B": 40, "C": 50})
        lo, hi = {"A": (1000, 20000), "B": (200, 1000), "C": (20, 200)}[grade]
        employees = rng.randint(lo, hi)
        name = unique(rng, lambda r: company_name(r, city.name, industry), self.company_names)
        account = PlannedAccount(
            key=self.key("ACC"), name=name, city=city.name, industry=industry, region=region.short,
            province=city.province, grade=grade, lifecycle_status=crm_model.LifecycleStatus.PROSPECT.value,
            owner_key=owner.key, employees=employees,
            annual_revenue=Decimal(employees * rng.randint(20, 90) * 10000), year_established=rng.randint(1988, 2021),
        )
        self.accounts[account.key] = account
        for i, (title, decides) in enumerate(rng.sample(cat.CONTACT_TITLES, rng.randint(1, 3))):
            contact = PlannedContact(self.key("CON"), account.key, person_name(rng), title, mobile_number(rng),
                                     decides or i == 0)
            self.contacts.append(contact)
            if contact.is_decision_maker and account.key not in self.decision_maker:
                self.decision_maker[account.key] = contact.name
        return account

    def _line(self, rng: random.Random, product_key: str, tier: Tier, qty: int | None = None) -> PlannedLine:
        spec = self.specs[product_key]
        quantity = Decimal(qty if qty is not None else rng.randint(spec.min_qty, spec.max_qty))
        lo, hi = cat.TIER_PROFILES[tier].discount_pct
        pct = min(rng.randint(lo, hi), spec.max_discount_pct)
        if rng.random() < 0.12:  # list price: small add-ons and firm buyers
            pct = 0
        rate = Decimal(pct) / 100
        net = crm_model.line_net_amount(quantity, spec.list_price, rate)
        return PlannedLine(self.products[product_key].key, quantity, spec.list_price, rate, net, spec.renewable)

    def _quote(self, rng: random.Random, grade: str, tier: Tier, *, expansion: bool,
               renewable_only: bool = False, size: float = 1.0) -> tuple[PlannedLine, ...]:
        """The lines a rep would quote to an account of ``grade``: a main product sized to the
        account (times ``size``: year-end budgets buy more seats), plus add-ons. An expansion
        sells one add-on to an existing customer."""

        def seats(lo: int, hi: int) -> int:
            return max(1, round(rng.randint(lo, hi) * size))

        if expansion:
            return (self._line(rng, _pick(rng, {"ai-agent": 35, "badge": 20, "panel": 15, "impl": 15,
                                                "training": 15}), tier),)
        lines: list[PlannedLine] = []
        if grade == "C":
            lines.append(self._line(rng, "crm-pro", tier, seats(5, 40)))
        elif grade == "B":
            if rng.random() < 0.5:
                lines.append(self._line(rng, "crm-pro", tier, seats(30, 120)))
            else:
                lines.append(self._line(rng, "crm-ent", tier, seats(20, 80)))
        elif rng.random() < 0.6 or renewable_only:
            lines.append(self._line(rng, "crm-ent", tier, seats(80, 260)))
        else:
            lines.append(self._line(rng, "data-hub", tier))
            lines.append(self._line(rng, "impl", tier, rng.randint(20, 60)))
            lines.append(self._line(rng, "support", tier))
        addons = {"ai-agent": 0.25} if renewable_only else {
            "ai-agent": 0.25, "badge": 0.12, "panel": 0.08, "training": 0.2,
            "impl": 0.35 if lines[0].product_key == self.products["crm-ent"].key else 0.0,
        }
        for product_key, share in addons.items():
            if rng.random() < share:
                lines.append(self._line(rng, product_key, tier))
        return tuple(lines)

    # --- 2. installed base ----------------------------------------------------------------
    def plan_installed_base(self, rng: random.Random) -> None:
        """Customers from the year before the window: one subscription each, due for renewal
        inside the window on a day drawn with the same seasonality as new deals."""
        months = self.spec.month_starts
        weights = [cat.SEASONALITY[m.month] for m in months]
        for rep in self.reps:
            per_rep = BASE_ACCOUNTS_PER_REP if self.team_of[rep.key].region_key else KEY_ACCOUNT_BASE_PER_REP
            for _ in range(per_rep[rep.tier]):
                account = self._account(rng, rep, base=True)
                self.base_accounts.setdefault(rep.key, []).append(account.key)
                month = rng.choices(months, weights=weights)[0]
                end = min(_first_of_next(month), self.today)
                due = working_day(_day_between(rng, month, end), month, end)
                signed = working_day(_one_year_earlier(due), _one_year_earlier(month), _one_year_earlier(end))
                lines = self._quote(rng, account.grade, rep.tier, expansion=False, renewable_only=True)
                self._order(rng, account, rep.key, None, signed, lines, is_renewal=False, cancellable=False)

    # --- 3. deal flow ---------------------------------------------------------------------
    def plan_deals(self, rng: random.Random) -> list[_Deal]:
        """Which deals are decided when and by whom: each month as many as the reps on board can
        carry, scaled by the month's seasonality; open deals fill today's pipeline."""
        reps = self.reps
        deals: list[_Deal] = []
        for month in self.spec.month_starts:
            end = min(_first_of_next(month), self.today)
            covered = (end - month).days / (_first_of_next(month) - month).days
            mid = month + timedelta(days=14)
            capacity = sum(self._capacity(rep, mid) for rep in reps)
            count = round(CLOSINGS_PER_REP_MONTH * capacity * cat.SEASONALITY[month.month] * covered)
            for _ in range(count):
                close = working_day(_day_between(rng, month, end), month, end)
                owner = self._owner(rng, reps, close)
                if owner is None:
                    continue
                deals.append(_Deal(owner, close, self._expansion(rng, owner)))
        capacity = sum(self._capacity(rep, self.today) for rep in reps)
        for _ in range(round(CLOSINGS_PER_REP_MONTH * capacity * OPEN_PIPELINE_MONTHS)):
            owner = self._owner(rng, reps, self.today - timedelta(days=14))
            if owner is not None:
                deals.append(_Deal(owner, None, self._expansion(rng, owner)))
        return deals

    def _capacity(self, rep: PlannedPerson, on: date) -> float:
        """How many deals a rep carries relative to a core rep: none in the first 30 days, half
        while ramping up until day 90; key-account reps carry fewer, bigger deals."""
        tenure = (on - rep.hire_date).days
        if tenure < 30:
            return 0.0
        w = cat.TIER_PROFILES[rep.tier].capacity * (0.5 if tenure < 90 else 1.0)
        return w * 0.6 if self.team_of[rep.key].region_key is None else w

    def _owner(self, rng: random.Random, reps: list[PlannedPerson], on: date) -> PlannedPerson | None:
        """A rep on board by ``on``, drawn by capacity."""
        weights = [self._capacity(rep, on) for rep in reps]
        if not any(weights):
            return None
        return rng.choices(reps, weights=weights)[0]

    def _expansion(self, rng: random.Random, owner: PlannedPerson) -> str | None:
        own = self.base_accounts.get(owner.key)
        return rng.choice(own) if own and rng.random() < EXPANSION_SHARE else None

    def realise(self, rng: random.Random, deals: list[_Deal], source_rng: random.Random) -> None:
        """Turn deal slots into leads, accounts, opportunities with stage history, orders."""
        for deal in deals:
            owner = deal.owner
            profile = cat.TIER_PROFILES[owner.tier]
            key_account = self.team_of[owner.key].region_key is None
            source = None
            if deal.expansion_of:
                account = self.accounts[deal.expansion_of]
                p_win = profile.win_rate + 0.18
            else:
                source = _pick(source_rng, {s: s.weight for s in cat.LEAD_SOURCES})
                account = self._account(rng, owner, base=False)
                p_win = profile.win_rate + source.win_shift - (0.03 if key_account else 0.0)
            won = deal.close_on is not None and rng.random() < min(max(p_win, 0.03), 0.9)
            season = cat.SEASONALITY[deal.close_on.month] if deal.close_on else 1.0
            lines = self._quote(rng, account.grade, owner.tier, expansion=deal.expansion_of is not None,
                                size=0.6 + 0.4 * season)
            created, moves, expected = self._stages(rng, deal, won, key_account, owner)
            lead_key = None
            if source is not None:
                lead_key = self._converted_lead(rng, source_rng, source, account, owner, created)
                self._other_leads(rng, source_rng, owner, account, created)
            main = self.product_by_key[lines[0].product_key]
            opp = PlannedOpportunity(
                key=self.key("OPP"),
                name=f"{short_company_name(account.name, account.city)}-{main.name}",
                account_key=account.key, owner_key=owner.key, lead_key=lead_key, product_key=main.key,
                created_on=created, amount=sum((ln.net_amount for ln in lines), Decimal(0)),
                expected_close=expected, moves=moves,
            )
            self.opportunities.append(opp)
            self._touches(rng, opp, owner, account)
            if won and opp.closed_on is not None:
                self._order(rng, account, owner.key, opp.key, opp.closed_on, lines, is_renewal=False,
                            cancellable=True)

    def _stages(self, rng: random.Random, deal: _Deal, won: bool, key_account: bool,
                owner: PlannedPerson) -> tuple[date, tuple[PlannedMove, ...], date]:
        """Creation day, stage moves and expected close of a deal, planned back from its close."""
        earliest = max(self.start, owner.hire_date + timedelta(days=7))
        if deal.close_on is None:  # open today
            created = _day_between(rng, max(earliest, self.today - timedelta(days=120)), self.today)
            cycle = 120 if key_account else 70
            reached = min(3, int((self.today - created).days / cycle * 4 * rng.uniform(0.6, 1.3)))
            days = sorted(_day_between(rng, created, self.today) for _ in range(reached))
            moves = tuple(PlannedMove(stage, at)
                          for stage, at in zip(_STAGE_PATH[:reached], _moments(rng, days), strict=True))
            expected = created + timedelta(days=cycle)
            if expected < self.today:
                expected = self.today + timedelta(days=rng.randint(7, 45))
            return created, moves, expected
        close = deal.close_on
        cycle = rng.randint(45, 160) if key_account else (rng.randint(21, 100) if won else rng.randint(7, 80))
        created = close - timedelta(days=cycle)
        if created < earliest:
            created = _day_between(rng, earliest, close) if close > earliest else min(earliest, close)
        if won:
            stages = [*_STAGE_PATH, "won"]
        else:
            lost_at = _pick(rng, {0: 20, 1: 35, 2: 30, 3: 15})
            stages = [*_STAGE_PATH[:lost_at], "lost"]
        days = sorted(_day_between(rng, created, close + timedelta(days=1)) for _ in stages[:-1])
        days.append(close)
        reason = _pick(rng, cat.LOST_REASONS) if not won else None
        moves = tuple(PlannedMove(stage, at, reason if stage == "lost" else None)
                      for stage, at in zip(stages, _moments(rng, days), strict=True))
        return created, moves, close

    # --- leads ----------------------------------------------------------------------------
    def _response(self, rng: random.Random, owner: PlannedPerson, factor: float) -> timedelta:
        """Hours to first contact: log-normal around the tier's median (faster for leads that
        go on to convert — speed to lead matters)."""
        median = cat.TIER_PROFILES[owner.tier].response_hours * factor
        hours = math.exp(rng.gauss(math.log(median), 0.8))
        return timedelta(minutes=max(5, round(hours * 60)))

    def _lead_moment(self, rng: random.Random, day: date) -> datetime:
        return at_work(rng, day, first_hour=8, last_hour=22)

    def _converted_lead(self, rng: random.Random, source_rng: random.Random, source: cat.LeadSource,
                        account: PlannedAccount, owner: PlannedPerson, created: date) -> str:
        floor = max(self.start, owner.hire_date)
        received_day = _day_between(rng, max(floor, created - timedelta(days=10)), created + timedelta(days=1))
        received = self._lead_moment(rng, received_day)
        contacted = min(received + self._response(rng, owner, 0.7),
                        datetime.combine(created, time(22, 0), tzinfo=SHANGHAI).astimezone(UTC))
        contacted = max(contacted, received + timedelta(minutes=5))
        lead = PlannedLead(
            key=self.key("LEAD"), company_name=account.name, received_at=received, source=source.name,
            channel=source_rng.choice(source.channels), industry=account.industry, region=account.region,
            province=account.province, contact_name=self.decision_maker.get(account.key) or person_name(rng),
            phone=mobile_number(rng), status=crm_model.LeadStatus.CONVERTED.value, owner_key=owner.key,
            first_contacted_at=contacted, account_key=account.key,
        )
        self.leads.append(lead)
        self._first_touch(rng, lead, owner, "确认需求，转为商机")
        return lead.key

    def _other_leads(self, rng: random.Random, source_rng: random.Random, owner: PlannedPerson,
                     account: PlannedAccount, created: date) -> None:
        """Leads in the same territory that did not become deals (about 1.7 per deal)."""
        floor = max(self.start, owner.hire_date)
        team = self.team_of[owner.key]
        for _ in range(rng.choice((1, 2, 2))):
            source = _pick(source_rng, {s: s.weight for s in cat.LEAD_SOURCES})
            industry = account.industry if team.region_key is None else _pick(rng, cat.INDUSTRIES)
            city = cat.CITIES[rng.choice(team.cities)]
            region = next(r for r in cat.REGIONS if r.key == city.region_key)
            name = unique(rng, lambda r, c=city.name, i=industry: company_name(r, c, i), self.company_names)
            received = self._lead_moment(rng, _day_between(rng, floor, self.today))
            contacted: datetime | None = received + self._response(rng, owner, 1.6)
            fresh = (self.today - received.date()).days <= 10
            if (fresh and rng.random() < 0.5) or (contacted is not None and contacted >= self.now):
                status, contacted = crm_model.LeadStatus.NEW.value, None
            elif fresh or rng.random() < 0.35:
                status = crm_model.LeadStatus.CONTACTED.value
            else:
                status = crm_model.LeadStatus.DISQUALIFIED.value
            lead = PlannedLead(
                key=self.key("LEAD"), company_name=name, received_at=received, source=source.name,
                channel=source_rng.choice(source.channels), industry=industry, region=region.short,
                province=city.province, contact_name=person_name(rng), phone=mobile_number(rng), status=status,
                owner_key=owner.key, first_contacted_at=contacted, account_key=None,
            )
            self.leads.append(lead)
            if contacted is not None:
                outcome = ("初步沟通，待跟进" if status == crm_model.LeadStatus.CONTACTED.value
                           else rng.choice(("无明确需求", "预算不足", "联系人已离职", "已选用其他产品")))
                self._first_touch(rng, lead, owner, outcome)

    def _first_touch(self, rng: random.Random, lead: PlannedLead, owner: PlannedPerson, outcome: str) -> None:
        if lead.first_contacted_at is None:
            return
        self.activities.append(PlannedActivity(
            self.key("ACT"), crm_model.ActivityKind.CALL.value, owner.key, lead.first_contacted_at,
            rng.randint(3, 15), None, None, lead.key, outcome))

    # --- activities and calls -------------------------------------------------------------
    def _touches(self, rng: random.Random, opp: PlannedOpportunity, owner: PlannedPerson,
                 account: PlannedAccount) -> None:
        """Activities along the deal (won deals get more of them) and sometimes a recorded call
        whose tone and topics follow how the deal ends."""
        end = opp.closed_on or self.today - timedelta(days=1)
        if opp.outcome == "won":
            n = rng.randint(*cat.TIER_PROFILES[owner.tier].activities)
        elif opp.outcome == "lost":
            n = rng.randint(2, 5)
        else:
            n = rng.randint(1, 2 + len(opp.moves))
        region_key = next(r.key for r in cat.REGIONS if r.short == account.region)
        days = sorted(_day_between(rng, opp.created_on, end + timedelta(days=1)) for _ in range(n))
        for day in days:
            kind = _pick(rng, _KINDS)
            person = self.solution_by_region[region_key] if kind == "demo" and rng.random() < 0.5 else owner.key
            self.activities.append(PlannedActivity(
                self.key("ACT"), kind, person, at_work(rng, day), rng.randint(*_MINUTES[kind]),
                account.key, opp.key, None, rng.choice(_OUTCOMES[kind])))
        if rng.random() >= (0.35 if opp.outcome != "open" else 0.25):
            return
        if opp.outcome == "won":
            tone = Tone.POSITIVE if rng.random() < 0.8 else Tone.NEUTRAL
            topics = tuple(rng.sample([Topic.PRICE, Topic.DELIVERY, Topic.DECISION, Topic.REQUIREMENT], 2))
        elif opp.outcome == "lost":
            tone = Tone.NEGATIVE if rng.random() < 0.75 else Tone.NEUTRAL
            topics = _LOST_TOPICS[opp.moves[-1].lost_reason or "价格过高"]
        else:
            tone = _pick(rng, {Tone.NEUTRAL: 60, Tone.POSITIVE: 20, Tone.NEGATIVE: 20})
            topics = tuple(rng.sample(list(Topic), 2))
        day = _day_between(rng, max(opp.created_on, end - timedelta(days=10)), end + timedelta(days=1))
        text = transcript(rng, tone=tone, topics=topics, contact=self.decision_maker[account.key][0] + "总",
                          rep=owner.name, product=self.product_by_key[opp.product_key].name)
        self.calls.append(PlannedCall(
            self.key("CALL"), owner.key, at_work(rng, day), 40 * text.count("\n") + rng.randint(60, 240),
            rng.choice(("outbound", "outbound", "inbound")), text, account.key, opp.key, tone.value))

    # --- 4. orders and payments -----------------------------------------------------------
    def _order(self, rng: random.Random, account: PlannedAccount, owner_key: str, opportunity_key: str | None,
               signed: date, lines: tuple[PlannedLine, ...], *, is_renewal: bool, cancellable: bool) -> PlannedOrder:
        key = self.key("ORD")
        due = signed + timedelta(days=30)
        cancelled_on = reason = None
        if cancellable and rng.random() < CANCEL_SHARE:
            day = signed + timedelta(days=rng.randint(5, 40))
            if day < self.today:
                cancelled_on, reason = day, rng.choice(("客户预算冻结", "合同条款变更", "重复下单"))
        net = sum((ln.net_amount for ln in lines), Decimal(0))
        payments = () if cancelled_on else self._payments(rng, key, net, signed, due, account.industry)
        order = PlannedOrder(key, account.key, owner_key, opportunity_key, signed, lines, is_renewal, due, payments,
                             cancelled_on, reason)
        self.orders.append(order)
        return order

    def _payments(self, rng: random.Random, order_key: str, net: Decimal, signed: date, due: date,
                  industry: str) -> tuple[PlannedPayment, ...]:
        """Most customers pay on time, some late (state-owned buyers more often), some in two
        instalments, a few never; nothing is received on or after today."""
        slow = 0.15 if industry in ("政府", "能源") else 0.0
        u = rng.random()
        if u < 0.66 - slow:
            plan = [(net, signed + timedelta(days=rng.randint(3, 28)))]
        elif u < 0.80:
            plan = [(net, due + timedelta(days=rng.randint(10, 120)))]
        elif u < 0.91:
            first, second = allocate(net, [1, 1])
            plan = [(first, signed + timedelta(days=rng.randint(5, 25))),
                    (second, due + timedelta(days=rng.randint(0, 90)))]
        else:
            plan = []
        method = _pick(rng, {"银行转账": 80, "承兑汇票": 15, "支付宝": 5})
        return tuple(PlannedPayment(f"{order_key}-P{i}", amount, day, method)
                     for i, (amount, day) in enumerate(plan, start=1) if day < self.today and amount > 0)

    # --- 5. complaints, renewals, surveys -------------------------------------------------
    def plan_after_sale(self, rng: random.Random) -> None:
        customers: dict[str, list[PlannedOrder]] = {}
        for order in self.orders:
            if order.cancelled_on is None:
                customers.setdefault(order.account_key, []).append(order)
        complaint_days: dict[str, list[date]] = {}
        for account_key, orders in customers.items():
            first = min(orders, key=lambda o: o.signed_on)
            survey_day = first.signed_on + timedelta(days=rng.randint(30, 75))
            prone = rng.random() < COMPLAINT_PRONE_SHARE
            if prone:
                lo = first.signed_on + timedelta(days=20)
                hi = min(_one_year_later(first.signed_on) - timedelta(days=7), self.today)
                for _ in range(rng.randint(1, 2)):
                    if hi > lo:
                        day = _day_between(rng, lo, hi)
                        complaint_days.setdefault(account_key, []).append(day)
                        category = rng.choice(cat.COMPLAINT_CATEGORIES)
                        self.feedback.append(PlannedFeedback(
                            account_key, day, rng.randint(10, 45), True, category, _COMPLAINT_TEXT[category],
                            self._service_person(account_key)))
            if survey_day < self.today:
                score = rng.randint(35, 70) if prone else rng.randint(68, 98)
                self.feedback.append(PlannedFeedback(
                    account_key, survey_day, score, False, "满意度回访",
                    _SURVEY_TEXT[0 if score >= 80 else 1 if score >= 60 else 2], self._service_person(account_key)))
        queue = deque(sorted((o for orders in customers.values() for o in orders if o.renewable_amount > 0),
                             key=lambda o: (o.signed_on, o.key)))
        while queue:
            original = queue.popleft()
            due = _one_year_later(original.signed_on)
            account = self.accounts[original.account_key]
            if due >= self.today - timedelta(days=PENDING_RENEWAL_DAYS):
                self.renewals.append(PlannedRenewal(account.key, due, "pending", original.renewable_amount,
                                                    original.key, None))
                continue
            complained = any(due - timedelta(days=365) <= d < due for d in complaint_days.get(account.key, []))
            if rng.random() < CHURN_RATE[complained]:
                self.renewals.append(PlannedRenewal(account.key, due, "churned", original.renewable_amount,
                                                    original.key, None))
                continue
            lo = max(due - timedelta(days=14), self.start)
            signed = working_day(_day_between(rng, lo, min(due + timedelta(days=7), self.today)), lo, self.today)
            owner = self.people_by_key[account.owner_key]
            lines = tuple(  # the same subscriptions, grown or shrunk by up to a third
                self._line(rng, self.catalog_key[ln.product_key], owner.tier,
                           max(1, round(int(ln.quantity) * rng.uniform(0.9, 1.3))))
                for ln in original.lines if ln.renewable)
            renewal = self._order(rng, account, account.owner_key, None, signed, lines, is_renewal=True,
                                  cancellable=False)
            self.renewals.append(PlannedRenewal(account.key, due, "renewed", original.renewable_amount,
                                                original.key, renewal.key))
            queue.append(renewal)
        self._settle_lifecycles(customers, complaint_days)

    def _service_person(self, account_key: str) -> str:
        region = next(r.key for r in cat.REGIONS if r.short == self.accounts[account_key].region)
        return self.service_by_region[region]

    def _settle_lifecycles(self, customers: dict[str, list[PlannedOrder]],
                           complaint_days: dict[str, list[date]]) -> None:
        """An account's status today: churned when its newest renewal churned, at risk when a
        complaint hangs over a pending renewal, active for other customers, else prospect."""
        latest: dict[str, PlannedRenewal] = {}
        for r in sorted(self.renewals, key=lambda r: r.due_on):
            latest[r.account_key] = r
        for key in customers:
            renewal = latest.get(key)
            if renewal is not None and renewal.status == "churned":
                status = crm_model.LifecycleStatus.CHURNED
            elif renewal is not None and renewal.status == "pending" and complaint_days.get(key):
                status = crm_model.LifecycleStatus.AT_RISK
            else:
                status = crm_model.LifecycleStatus.ACTIVE
            self.accounts[key] = replace(self.accounts[key], lifecycle_status=status.value)


_REGIONAL_INDUSTRIES = {  # territory teams see fewer of the key-account industries
    k: (v / 2 if k in cat.KEY_ACCOUNT_INDUSTRIES else float(v)) for k, v in cat.INDUSTRIES.items()
}


def _first_of_next(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


_KINDS = {"call": 35, "email": 20, "visit": 20, "meeting": 15, "demo": 10}
_OUTCOMES = {
    "call": ("电话沟通需求", "确认下次拜访时间", "跟进报价反馈"),
    "email": ("发送方案资料", "发送报价单", "发送案例介绍"),
    "visit": ("上门拜访关键人", "现场调研业务流程"),
    "meeting": ("方案评审会", "商务谈判会议"),
    "demo": ("产品演示", "POC 测试演示"),
}
_MINUTES = {"call": (5, 30), "email": (0, 5), "visit": (60, 150), "meeting": (30, 120), "demo": (45, 120)}

_LOST_TOPICS: dict[str, tuple[Topic, ...]] = {
    "价格过高": (Topic.PRICE, Topic.DECISION),
    "选择竞品": (Topic.COMPETITOR, Topic.PRICE),
    "预算取消": (Topic.BUDGET,),
    "需求变化": (Topic.REQUIREMENT,),
    "决策延期": (Topic.DECISION, Topic.BUDGET),
}

_COMPLAINT_TEXT = {
    "交付延期": "上线时间比合同约定晚了三周，影响了我们的业务计划。",
    "服务响应慢": "系统出问题后工单两天没人处理，客服电话也打不通。",
    "产品缺陷": "报表数据经常对不上，导出功能也时好时坏。",
    "功能不符": "签约时承诺的审批流定制到现在还没有实现。",
    "价格争议": "续费报价比去年涨了不少，事先也没有沟通。",
}
_SURVEY_TEXT = (
    "系统稳定，客服响应及时，销售团队已经离不开了。",
    "整体可以，希望报表功能再完善一些。",
    "使用体验一般，培训不够，很多功能用不起来。",
)


def plan_demo(spec: DemoSpec) -> DemoPlan:
    """Plan the whole demo company for ``spec``; the same spec always gives an equal plan."""
    p = _Planner(spec)
    p.plan_org(stream(spec.seed, "org"))
    p.plan_installed_base(stream(spec.seed, "base"))
    deals = p.plan_deals(stream(spec.seed, "deals"))
    p.realise(stream(spec.seed, "pipeline"), deals, stream(spec.seed, "sources"))
    p.plan_after_sale(stream(spec.seed, "after-sale"))
    logins = tuple(
        replace(login, display_name=p.people_by_key[login.person_key].name) if login.person_key else login
        for login in DEMO_LOGINS
    )
    return DemoPlan(
        spec=spec,
        company=CompanyProfile(name=cat.COMPANY_NAME, currency="CNY", fiscal_year_start_month=1,
                               time_zone="Asia/Shanghai", locale="zh_CN"),
        teams=tuple(p.teams),
        people=tuple(p.people),
        territories=tuple(p.territories),
        mentorships=tuple(p.mentorships),
        logins=logins,
        products=tuple(p.products.values()),
        accounts=tuple(p.accounts.values()),
        contacts=tuple(p.contacts),
        leads=tuple(sorted(p.leads, key=lambda x: (x.received_at, x.key))),
        opportunities=tuple(sorted(p.opportunities, key=lambda x: (x.created_on, x.key))),
        orders=tuple(sorted(p.orders, key=lambda x: (x.signed_on, x.key))),
        renewals=tuple(sorted(p.renewals, key=lambda x: (x.due_on, x.account_key))),
        activities=tuple(sorted(p.activities, key=lambda x: (x.started_at, x.key))),
        calls=tuple(sorted(p.calls, key=lambda x: (x.started_at, x.key))),
        feedback=tuple(sorted(p.feedback, key=lambda x: (x.received_on, x.account_key, x.is_complaint))),
    )
