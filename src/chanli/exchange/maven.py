"""The built-in recipe for Maven Analytics' public "CRM Sales Opportunities" dataset.

``chanli import maven-crm FOLDER`` reads the dataset's four CSVs (sales_teams, accounts,
products, sales_pipeline) and turns them, row by row, into the ordinary import steps —
teams, people, products, accounts, opportunities, orders — so the same validation, upsert
by external id, all-or-nothing apply and report serve it as any other file.

How the dataset maps (see docs.md for the table):

- each ``regional_office`` becomes a region, each ``manager`` a team under their office
  with the manager as its manager, each ``sales_agent`` a rep in their manager's team;
- ``accounts.sector`` → industry, ``office_location`` → region, ``revenue`` (millions of
  USD) × 1,000,000 → annual revenue, ``subsidiary_of`` → parent account;
- ``deal_stage`` Won/Lost → won/lost, Engaging → discovery, Prospecting → prospecting;
- every Won deal also books an order (USD, one line of its close_value, signed on its
  close_date, owned by its agent), so revenue figures work like for any customer's data.

Quirks of the upstream files are reported as warnings, never fixed silently.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from chanli.core.db import UnitOfWork
from chanli.core.issues import Issues
from chanli.exchange.fields import ENTITIES
from chanli.exchange.headers import HeaderMap
from chanli.exchange.importer import BATCH, Progress, Step, parse_context, run_steps
from chanli.exchange.readers import FileProblem, open_table, read_rows
from chanli.exchange.report import ImportReport
from chanli.exchange.store import StoreKeys
from chanli.exchange.values import Cell
from chanli.org import CompanyProfile
from chanli.org import service as org_service

__all__ = ["COMPANY_NAME", "FILES", "PRODUCT_ALIASES", "SECTOR_FIXES", "import_maven_crm"]

COMPANY_NAME = "CRM Sales Opportunities (Maven Analytics)"
CURRENCY = "USD"
PREFIX = "maven-crm"
FILES = {
    "teams": ("sales_teams.csv", ("sales_agent", "manager", "regional_office")),
    "accounts": ("accounts.csv", ("account", "sector", "year_established", "revenue", "employees",
                                  "office_location", "subsidiary_of")),
    "products": ("products.csv", ("product", "series", "sales_price")),
    "pipeline": ("sales_pipeline.csv", ("opportunity_id", "sales_agent", "product", "account", "deal_stage",
                                        "engage_date", "close_date", "close_value")),
}
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}  # the pipeline's spelling → products.csv's
SECTOR_FIXES = {"technolgy": "technology"}
STAGES = {"Won": "won", "Lost": "lost", "Engaging": "discovery", "Prospecting": "prospecting"}
MILLION = Decimal(1_000_000)


def key(kind: str, name: str) -> str:
    """The external id the recipe gives a dataset row that has no id of its own."""
    return f"{PREFIX}:{kind}:{name}"


Row = dict[str, str]


@dataclass
class _Dataset:
    """The three small files in memory (≈130 rows) and what a streaming scan of the pipeline
    learnt: which accounts won, which agents sold, the last date, the quirks met."""

    folder: Path
    teams: list[tuple[int, Row]] = field(default_factory=list)
    accounts: list[tuple[int, Row]] = field(default_factory=list)
    products: list[tuple[int, Row]] = field(default_factory=list)
    won_accounts: set[str] = field(default_factory=set)
    agents_with_deals: set[str] = field(default_factory=set)
    last_date: str = ""
    quirks: Counter[str] = field(default_factory=Counter)
    first_row: dict[str, int] = field(default_factory=dict)

    @property
    def prices(self) -> dict[str, str]:
        return {r["product"]: r["sales_price"] for _, r in self.products}


def _rows(folder: Path, which: str, issues: Issues) -> Iterator[tuple[int, Row]]:
    """Stream one dataset file as dicts; a missing file or column is an error."""
    name, columns = FILES[which]
    table = open_table(folder / name, name)
    with read_rows(table) as rows:
        where: list[tuple[str, int]] | None = None
        for number, cells in rows:
            if where is None:
                header = [str(c or "").strip() for c in cells]
                absent = [c for c in columns if c not in header]
                if absent:
                    issues.error("column.missing", f"{name} lacks column(s) {', '.join(absent)}", source=name, row=1)
                    return
                where = [(c, header.index(c)) for c in columns]
                continue
            if all(c in (None, "") for c in cells):
                continue
            yield number, {c: str(cells[i] or "").strip() if i < len(cells) else "" for c, i in where}


def _scan(folder: Path, issues: Issues) -> _Dataset:
    data = _Dataset(folder)
    data.teams = list(_rows(folder, "teams", issues))
    data.accounts = list(_rows(folder, "accounts", issues))
    data.products = list(_rows(folder, "products", issues))
    if issues.has_errors():  # a file lacks columns: checking the pipeline would only echo that
        return data
    agents = {r["sales_agent"] for _, r in data.teams}
    accounts = {r["account"] for _, r in data.accounts}
    products = {r["product"] for _, r in data.products}
    source = FILES["pipeline"][0]
    offices: dict[str, tuple[str, int]] = {}
    for number, r in data.teams:
        office = offices.setdefault(r["manager"], (r["regional_office"], number))
        if office[0] != r["regional_office"]:
            issues.error("maven.manager_office", f"manager {r['manager']} leads agents in {office[0]} (row "
                         f"{office[1]}) and {r['regional_office']}", source=FILES["teams"][0], row=number,
                         column="regional_office", value=r["regional_office"])
    for number, r in data.accounts:
        parent = r["subsidiary_of"]
        if parent and parent not in accounts:
            issues.error("ref.missing", f"subsidiary_of {parent!r} is not an account in accounts.csv",
                         source=FILES["accounts"][0], row=number, column="subsidiary_of", value=parent)
        if r["sector"] in SECTOR_FIXES:
            data.quirks["sector"] += 1
            data.first_row.setdefault("sector", number)
    for number, r in _rows(folder, "pipeline", issues):
        stage = r["deal_stage"]
        if r["sales_agent"] not in agents:
            issues.error("ref.missing", f"sales_agent {r['sales_agent']!r} is not in sales_teams.csv", source=source,
                         row=number, column="sales_agent", value=r["sales_agent"])
        product = PRODUCT_ALIASES.get(r["product"], r["product"])
        if product != r["product"]:
            data.quirks["product:" + r["product"]] += 1
            data.first_row.setdefault("product:" + r["product"], number)
        if product not in products:
            issues.error("ref.missing", f"product {r['product']!r} is not in products.csv", source=source,
                         row=number, column="product", value=r["product"])
        if r["account"] and r["account"] not in accounts:
            issues.error("ref.missing", f"account {r['account']!r} is not in accounts.csv", source=source,
                         row=number, column="account", value=r["account"])
        if stage not in STAGES:
            issues.error("value.choice", f"unknown deal_stage; use one of {', '.join(STAGES)}", source=source,
                         row=number, column="deal_stage", value=stage)
        elif stage == "Won" and not r["account"]:
            issues.error("maven.won_account", "a Won deal needs an account to book its order", source=source,
                         row=number, column="account")
        for quirk, present in (("no_account", not r["account"]), ("no_close", not r["close_date"]),
                               ("no_engage", not r["engage_date"])):
            if present and stage in ("Engaging", "Prospecting"):
                data.quirks[quirk] += 1
                data.first_row.setdefault(quirk, number)
        if stage == "Won":
            data.won_accounts.add(r["account"])
        data.agents_with_deals.add(r["sales_agent"])
        data.last_date = max(data.last_date, r["engage_date"], r["close_date"])
    _warn(data, agents, issues)
    return data


def _warn(data: _Dataset, agents: set[str], issues: Issues) -> None:
    source = FILES["pipeline"][0]
    for quirk, n in sorted(data.quirks.items()):
        row = data.first_row[quirk]
        if quirk.startswith("product:"):
            spelt = quirk.split(":", 1)[1]
            issues.warning("maven.product_alias", f"{n:,} deals name product {spelt!r}, which products.csv spells "
                           f"{PRODUCT_ALIASES[spelt]!r}; read as {PRODUCT_ALIASES[spelt]!r}", source=source,
                           row=row, column="product", value=spelt)
        elif quirk == "sector":
            issues.warning("maven.sector_typo", f"{n} accounts have sector 'technolgy'; read as 'technology'",
                           source=FILES["accounts"][0], row=row, column="sector", value="technolgy")
        elif quirk == "no_account":
            issues.warning("maven.no_account", f"{n:,} open deals have no account; imported without one",
                           source=source, row=row, column="account")
        elif quirk == "no_close":
            issues.warning("maven.no_close", f"{n:,} open deals have no close_date/close_value; their amount is "
                           "the product's sales_price (the expected value) and they stay open", source=source,
                           row=row, column="close_value")
        elif quirk == "no_engage":
            issues.warning("maven.no_engage", f"{n:,} Prospecting deals have no engage_date; created on "
                           f"{data.last_date} (the last date in the file)", source=source, row=row,
                           column="engage_date")
    idle = sorted(agents - data.agents_with_deals)
    if idle:
        issues.warning("maven.idle_agents", f"{len(idle)} agents have no opportunities ({', '.join(idle)}); "
                       "imported as reps all the same", source=FILES["teams"][0])


# --- the dataset as ordinary import steps --------------------------------------------------------


def _step(entity: str, source: str, fields: Sequence[str], labels: dict[str, str],
          produce: Callable[[], Iterator[tuple[int, Sequence[Cell]]]]) -> Step:
    header = HeaderMap(tuple(enumerate(fields)), {f: labels.get(f, f) for f in fields})

    @contextlib.contextmanager
    def opener() -> Iterator[Iterator[tuple[int, Sequence[Cell]]]]:
        yield produce()

    return Step(ENTITIES[entity], source, header, opener)


def _steps(data: _Dataset, issues: Issues) -> list[Step]:
    teams_file, accounts_file, products_file = FILES["teams"][0], FILES["accounts"][0], FILES["products"][0]
    pipeline_file = FILES["pipeline"][0]

    def teams() -> Iterator[tuple[int, Sequence[Cell]]]:
        seen: set[str] = set()
        for number, r in data.teams:
            office, manager = r["regional_office"], r["manager"]
            if office not in seen:
                seen.add(office)
                yield number, [key("region", office), office, "region", None]
            if manager not in seen:
                seen.add(manager)
                yield number, [key("team", manager), f"{manager} team", "team", key("region", office)]

    def people() -> Iterator[tuple[int, Sequence[Cell]]]:
        seen: set[str] = set()
        for number, r in data.teams:
            manager = r["manager"]
            if manager not in seen:
                seen.add(manager)
                yield number, [key("manager", manager), manager, "manager", "core", key("team", manager), None]
        for number, r in data.teams:
            agent = r["sales_agent"]
            yield number, [key("agent", agent), agent, "rep", "core", key("team", r["manager"]),
                           key("manager", r["manager"])]

    def products() -> Iterator[tuple[int, Sequence[Cell]]]:
        for number, r in data.products:
            yield number, [key("product", r["product"]), r["product"], r["series"], r["sales_price"]]

    def accounts() -> Iterator[tuple[int, Sequence[Cell]]]:
        for number, r in data.accounts:
            revenue = r["revenue"]
            try:
                annual = str(Decimal(revenue) * MILLION) if revenue else None
            except ArithmeticError:
                annual = revenue  # the parser reports it with its row
            yield number, [
                key("account", r["account"]), r["account"], SECTOR_FIXES.get(r["sector"], r["sector"]) or None,
                r["office_location"] or None, r["employees"] or None, annual, r["year_established"] or None,
                key("account", r["subsidiary_of"]) if r["subsidiary_of"] else None,
                "active" if r["account"] in data.won_accounts else "prospect",
            ]

    prices = data.prices

    def opportunities() -> Iterator[tuple[int, Sequence[Cell]]]:
        for number, r in _rows(data.folder, "pipeline", Issues()):
            product = PRODUCT_ALIASES.get(r["product"], r["product"])
            account = r["account"]
            closed = r["deal_stage"] in ("Won", "Lost")
            yield number, [
                r["opportunity_id"], f"{product} · {account or 'no account'}",
                key("account", account) if account else None, key("agent", r["sales_agent"]),
                key("product", product), STAGES.get(r["deal_stage"], r["deal_stage"]),
                r["close_value"] if closed else prices.get(product, "0"), CURRENCY,
                r["engage_date"] or data.last_date, r["engage_date"] or None, r["close_date"] or None,
            ]

    def orders() -> Iterator[tuple[int, Sequence[Cell]]]:
        for number, r in _rows(data.folder, "pipeline", Issues()):
            if r["deal_stage"] != "Won":
                continue
            product = PRODUCT_ALIASES.get(r["product"], r["product"])
            yield number, [
                r["opportunity_id"], key("account", r["account"]), key("agent", r["sales_agent"]), r["close_date"],
                r["opportunity_id"], CURRENCY, key("product", product), "1", r["close_value"],
            ]

    pipeline_labels = {
        "external_id": "opportunity_id", "name": "product", "account": "account", "owner": "sales_agent",
        "product": "product", "stage": "deal_stage", "amount": "close_value", "currency": "close_value",
        "created_on": "engage_date", "engaged_on": "engage_date", "closed_on": "close_date",
        "signed_on": "close_date", "opportunity": "opportunity_id", "quantity": "close_value",
        "list_price": "close_value",
    }
    return [
        _step("teams", teams_file, ("external_id", "name", "kind", "parent"),
              {"external_id": "manager", "name": "manager", "kind": "regional_office", "parent": "regional_office"},
              teams),
        _step("people", teams_file, ("external_id", "name", "job_role", "tier", "team", "manager"),
              {"external_id": "sales_agent", "name": "sales_agent", "team": "manager", "manager": "manager"},
              people),
        _step("products", products_file, ("external_id", "name", "series", "list_price"),
              {"external_id": "product", "name": "product", "list_price": "sales_price"}, products),
        _step("accounts", accounts_file,
              ("external_id", "name", "industry", "region", "employees", "annual_revenue", "year_established",
               "parent", "lifecycle_status"),
              {"external_id": "account", "name": "account", "industry": "sector", "region": "office_location",
               "annual_revenue": "revenue", "parent": "subsidiary_of", "lifecycle_status": "account"}, accounts),
        _step("opportunities", pipeline_file,
              ("external_id", "name", "account", "owner", "product", "stage", "amount", "currency", "created_on",
               "engaged_on", "closed_on"), pipeline_labels, opportunities),
        _step("orders", pipeline_file,
              ("external_id", "account", "owner", "signed_on", "opportunity", "currency", "product", "quantity",
               "list_price"), pipeline_labels, orders),
    ]


def import_maven_crm(
    uow: UnitOfWork,
    folder: Path,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH,
) -> ImportReport:
    """Load the Maven "CRM Sales Opportunities" folder into the store (idempotent: a second
    run changes nothing). Never commits; creates a USD company profile if none exists."""
    issues = Issues()
    source = folder.name or str(folder)
    if not folder.is_dir():
        issues.error("file.missing", f"no such folder: {folder}", source=source)
        return ImportReport(source, (), tuple(issues), dry_run, applied=False)
    try:
        data = _scan(folder, issues)
    except FileProblem as problem:
        issues.append(problem.issue)
        return ImportReport(source, (), tuple(issues), dry_run, applied=False)
    store = StoreKeys(uow.session)
    profile = store.company()
    if profile is not None and profile.currency != CURRENCY:
        issues.warning("maven.currency", f"the company's currency is {profile.currency}; this dataset's amounts "
                       f"are {CURRENCY} and are stored as {CURRENCY}", source=source)

    def ensure_company(u: UnitOfWork) -> None:
        if StoreKeys(u.session).company() is None:
            org_service.save_company(u, CompanyProfile(name=COMPANY_NAME, currency=CURRENCY))

    ctx = parse_context(store, currency=CURRENCY)
    steps = [] if issues.has_errors() else _steps(data, issues)
    return run_steps(uow, steps, source=source, ctx=ctx, dry_run=dry_run, progress=progress,
                     batch_size=batch_size, issues=issues, before_apply=ensure_company)
