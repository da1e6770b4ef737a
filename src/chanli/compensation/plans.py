"""The declarative plan format: YAML or JSON, validated by Pydantic into the frozen model.

Why this shape: comp admins edit plans, so every problem is reported at once, each with the key
path that holds it (``components[2].tiers[1].rate: must not be negative``), and nothing is
accepted while any error remains. Each component kind's parameters are the dataclass it
registered (``rules.registry``); Pydantic checks types and unknown keys, then the dataclass's own
``problems()`` checks the meaning (ordered tiers, weights, ranges), then this module checks the
references between components.

Numbers: ``3%`` is 0.03; YAML and JSON decimals are read as ``Decimal`` straight from their text;
a Python ``float`` is refused (money never passes through binary floating point).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, get_args, get_type_hints

import yaml
from pydantic import TypeAdapter, ValidationError

from chanli.compensation.model import Component, Eligibility, Plan, PlanVersion
from chanli.compensation.rules import REGISTRY, KindSpec, plain, references
from chanli.core.issues import Issue, Issues, Result, ValidationFailed

__all__ = [
    "PlanInvalid",
    "check_plan",
    "dump_plan",
    "key_path_line",
    "load_plan",
    "parse_plan",
    "plan_json",
    "plan_yaml",
]

COMPONENT_KEYS = ("id", "kind", "label")
_PERCENT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*%\s*$")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class PlanInvalid(ValidationFailed):
    """A plan with errors; ``issues`` holds every one, each with its key path in ``column``."""

    def __init__(self, issues: Issues) -> None:
        errors = issues.errors
        text = "; ".join(_describe(i) for i in errors[:5])
        if len(errors) > 5:
            text += f" (+{len(errors) - 5} more)"
        super().__init__(issues, summary=text)


def _describe(issue: Issue) -> str:
    return f"{issue.column}: {issue.message}" if issue.column else issue.message


@dataclass(slots=True)
class _Header:
    plan: str
    version: int
    effective_from: date
    components: list[Any] = field(default_factory=list)
    name: str = ""
    effective_to: date | None = None
    currency: str = "CNY"
    eligibility: Eligibility = field(default_factory=Eligibility)


@cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    _forbid_unknown_keys(kind)
    return TypeAdapter(kind)


def _forbid_unknown_keys(kind: Any, seen: set[Any] | None = None) -> None:
    """Make Pydantic refuse unknown keys (a typo like ``rates`` for ``rate`` must not be silently
    dropped) on a parameter dataclass and every dataclass inside it. Pydantic reads this plain
    ``__pydantic_config__`` attribute, so the model module stays free of Pydantic."""
    seen = set() if seen is None else seen
    if kind in seen:
        return
    seen.add(kind)
    if is_dataclass(kind) and isinstance(kind, type):
        if "__pydantic_config__" not in kind.__dict__:
            kind.__pydantic_config__ = {"extra": "forbid"}  # type: ignore[attr-defined]
        for hint in get_type_hints(kind).values():
            _forbid_unknown_keys(hint, seen)
    for arg in get_args(kind):
        _forbid_unknown_keys(arg, seen)


def _path(parts: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


# --- reading -----------------------------------------------------------------------------


class _DecimalLoader(yaml.SafeLoader):
    """YAML with decimals read as ``Decimal`` from their text (0.1 stays exactly 0.1)."""


def _yaml_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text
    return value if value.is_finite() else text


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _yaml_decimal)


def load_plan(
    text: str, *, fmt: str | None = None, source: str | None = None, registry: Mapping[str, KindSpec] | None = None
) -> PlanVersion:
    """Parse YAML or JSON plan text; raises ``PlanInvalid`` with every problem."""
    kind = (fmt or (source.rsplit(".", 1)[-1] if source and "." in source else "")).lower()
    if not kind:
        kind = "json" if text.lstrip().startswith("{") else "yaml"
    try:
        data = json.loads(text, parse_float=Decimal) if kind == "json" else yaml.load(text, Loader=_DecimalLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        issues = Issues()
        issues.error("plan.syntax", f"not valid {kind.upper()}: {exc}", source=source)
        raise PlanInvalid(issues) from None
    return parse_plan(data, source=source, registry=registry)


def parse_plan(data: Any, *, source: str | None = None, registry: Mapping[str, KindSpec] | None = None) -> PlanVersion:
    """Validate plain data (as loaded from YAML/JSON) into a ``PlanVersion`` or raise ``PlanInvalid``."""
    result = check_plan(data, source=source, registry=registry)
    if not result.ok or result.value is None:
        raise PlanInvalid(result.issues)
    return result.value


def check_plan(
    data: Any, *, source: str | None = None, registry: Mapping[str, KindSpec] | None = None
) -> Result[PlanVersion]:
    """Every problem of a plan, each with its key path; the plan when there are none."""
    kinds = REGISTRY if registry is None else registry
    issues = Issues()

    def error(path: str, message: str, value: Any = None, code: str = "plan.invalid") -> None:
        shown = None if value is None else str(value)[:80]
        issues.append(Issue(code, message, column=path or None, value=shown, source=source))

    if not isinstance(data, Mapping):
        error("", "a plan must be a mapping of keys (plan, version, effective_from, components…)")
        return Result(None, issues)
    data = _prepare(data, (), error)
    header_raw = {k: v for k, v in data.items() if k != "components"}
    header_raw["components"] = []
    header = _validate(_Header, header_raw, (), error)
    if header is not None:
        if not header.plan.strip():
            error("plan", "the plan needs an id")
        if header.version < 1:
            error("version", "must be 1 or more", header.version)
        if header.effective_to is not None and header.effective_to <= header.effective_from:
            error("effective_to", "must be after effective_from", header.effective_to)
        if len(header.currency) != 3 or not header.currency.isupper():
            error("currency", "must be an ISO 4217 code such as CNY", header.currency)
    raw_components = data.get("components")
    if not isinstance(raw_components, list) or not raw_components:
        error("components", "a plan needs a list of at least one component")
        raw_components = []
    components = _components(raw_components, kinds, error)
    if issues.has_errors() or header is None:
        return Result(None, issues)
    plan = PlanVersion(
        plan=Plan(header.plan, header.name),
        version=header.version,
        effective_from=header.effective_from,
        effective_to=header.effective_to,
        currency=header.currency,
        eligibility=header.eligibility,
        components=tuple(components),
    )
    return Result(plan, issues)


def _components(raw_components: list[Any], kinds: Mapping[str, KindSpec], error: Any) -> list[Component]:
    out: list[Component] = []
    seen: dict[str, str] = {}  # id → kind, of the components before
    for i, raw in enumerate(raw_components):
        here = f"components[{i}]"
        if not isinstance(raw, Mapping):
            error(here, "a component must be a mapping with at least a kind")
            continue
        kind = raw.get("kind")
        if not isinstance(kind, str) or not kind:
            error(f"{here}.kind", "required: the component kind")
            continue
        spec = kinds.get(kind)
        if spec is None:
            error(f"{here}.kind", f"unknown component kind {kind!r}; known: {', '.join(sorted(kinds))}", kind)
            continue
        cid = raw.get("id", kind)
        if not isinstance(cid, str) or not _ID.match(cid):
            error(f"{here}.id", "must be a short name of letters, digits, _ or -", cid)
            continue
        if cid in seen:
            error(f"{here}.id", f"duplicate component id {cid!r}", cid)
            continue
        label = raw.get("label") or spec.label
        params_raw = {k: v for k, v in raw.items() if k not in COMPONENT_KEYS}
        params = _validate(spec.params, params_raw, (here,), error)
        if params is None:
            seen[cid] = kind
            continue
        for path, message in params.problems():
            error(f"{here}.{path}", message, _lookup(params, path))
        for name, refs in references(params):
            for j, ref in enumerate(refs):
                if ref not in seen:
                    where = (
                        "is not a component before this one"
                        if ref not in [r.get("id", r.get("kind")) for r in raw_components if isinstance(r, Mapping)]
                        else "must come before this component (components run in plan order)"
                    )
                    error(f"{here}.{name}[{j}]", f"{ref!r} {where}", ref)
                elif name == "of" and not kinds[seen[ref]].commission:
                    error(f"{here}.{name}[{j}]", f"{ref!r} is a {seen[ref]}, not a commission component", ref)
        seen[cid] = kind
        out.append(Component(cid, kind, params, str(label)))
    return out


def _lookup(obj: Any, path: str) -> Any:
    """The value at a relative key path like ``tiers[1].rate`` (for the issue's ``value``)."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        try:
            obj = obj[int(part[1:-1])] if part.startswith("[") else getattr(obj, part)
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
    return obj if isinstance(obj, Decimal | int | str | date) else None


def _prepare(value: Any, path: tuple[Any, ...], error: Any) -> Any:
    """Percent strings become Decimals; floats are refused with their path."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        error(
            _path(path),
            "a float is refused: write the number as text (YAML/JSON text or a str) so it stays exact",
            value,
        )
        return None
    if isinstance(value, str):
        m = _PERCENT.match(value)
        return Decimal(m.group(1)) / 100 if m else value
    if isinstance(value, Mapping):
        return {k: _prepare(v, (*path, k), error) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v, (*path, i), error) for i, v in enumerate(value)]
    return value


_MESSAGES = {
    "missing": "required",
    "missing_argument": "required",
    "missing_keyword_only_argument": "required",
    "unexpected_keyword_argument": "unknown key",
    "extra_forbidden": "unknown key",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_type": "must be a date (YYYY-MM-DD)",
    "string_type": "must be text",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "dataclass_type": "must be a mapping of keys",
    "dataclass_args_type": "must be a mapping of keys",
}


def _validate(kind: type, raw: Mapping[str, Any], prefix: tuple[Any, ...], error: Any) -> Any:
    try:
        return _adapter(kind).validate_python(dict(raw))
    except ValidationError as exc:
        for e in exc.errors():
            loc = tuple(p for p in e["loc"] if p not in ("dataclass_args",))
            message = _MESSAGES.get(e["type"])
            if e["type"] == "enum":
                message = f"must be one of: {e.get('ctx', {}).get('expected', '')}".replace("'", "")
            if message is None:
                message = e["msg"][:1].lower() + e["msg"][1:]
            value = e.get("input") if e["type"] not in ("missing", "missing_argument") else None
            error(_path((*prefix, *loc)), message, value if isinstance(value, str | int | Decimal | date) else None)
        return None


# --- writing -----------------------------------------------------------------------------


def dump_plan(plan: PlanVersion) -> dict[str, Any]:
    """A plan version as plain data (Decimals as text), ready for YAML or JSON; loading it back
    gives an equal plan."""
    out: dict[str, Any] = {
        "plan": plan.plan.id,
        "name": plan.plan.name,
        "version": plan.version,
        "effective_from": plan.effective_from.isoformat(),
        "effective_to": plan.effective_to.isoformat() if plan.effective_to else None,
        "currency": plan.currency,
        "eligibility": plain(plan.eligibility),
        "components": [],
    }
    for c in plan.components:
        out["components"].append({"id": c.id, "kind": c.kind, "label": c.label, **plain(c.params)})
    return out


def plan_yaml(plan: PlanVersion) -> str:
    return yaml.safe_dump(dump_plan(plan), allow_unicode=True, sort_keys=False)


def plan_json(plan: PlanVersion) -> str:
    return json.dumps(dump_plan(plan), ensure_ascii=False, indent=2)


def key_path_line(text: str, path: str | None) -> int | None:
    """The 1-based line of ``text`` (YAML or JSON) holding the value at a key path such as
    ``components[2].tiers[1].rate`` — or the nearest enclosing key that exists — so an editor
    can show each problem beside the line it is about. ``None`` when the text does not parse."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path or ""):
        child = None
        if part.startswith("[") and isinstance(node, yaml.SequenceNode):
            index = int(part[1:-1])
            child = node.value[index] if index < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line = key.start_mark.line + 1
                    child = value
                    break
        if child is None:
            break
        node = child
        line = max(line, node.start_mark.line + 1) if not isinstance(node, yaml.MappingNode) else line
    return line
