"""Which file column feeds which field: built-in synonyms, optionally overridden by a mapping.

Pure: takes the header texts and a mapping dict, returns a ``HeaderMap`` and the issues
(missing required columns, two columns for one field, unknown fields in the mapping). The
mapping *file* is read by ``readers.load_mapping``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chanli.core.issues import Issues
from chanli.exchange.fields import EntitySpec
from chanli.exchange.values import normalise_token

__all__ = ["HeaderMap", "header_score", "map_headers"]


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Column index → field, plus each field's header text as the file spells it (for issues)."""

    columns: tuple[tuple[int, str], ...]
    labels: Mapping[str, str]
    header_row: int = 1

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(f for _, f in self.columns)

    def has(self, field: str) -> bool:
        return field in self.labels

    def label(self, field: str) -> str:
        return self.labels.get(field, field)


def _lookup(entity: EntitySpec, custom: Mapping[str, str | None] | None) -> dict[str, str | None]:
    table: dict[str, str | None] = dict(entity.synonyms())
    for header, target in (custom or {}).items():
        table[normalise_token(header)] = target or None
    return table


def header_score(
    entity: EntitySpec, headers: Sequence[str | None], custom: Mapping[str, str | None] | None = None
) -> int:
    """How many distinct fields a row of header texts maps to (used to find the header row)."""
    table = _lookup(entity, custom)
    return len({t for h in headers if h and (t := table.get(normalise_token(str(h)))) is not None})


def map_headers(
    entity: EntitySpec,
    headers: Sequence[str | None],
    custom: Mapping[str, str | None] | None = None,
    *,
    header_row: int = 1,
    source: str | None = None,
) -> tuple[HeaderMap, Issues]:
    """Map header texts to fields. A custom mapping (``{"file header": "field"}``, ``null``
    to ignore a column) wins over the built-in synonyms."""
    issues = Issues()
    valid = set(entity.field_names)
    for header, target in (custom or {}).items():
        if target and target not in valid:
            issues.error("mapping.field", f"mapping sends {header!r} to unknown field {target!r}; "
                         f"{entity.name} fields are: {', '.join(entity.field_names)}", source=source,
                         column=header, value=target)
    table = _lookup(entity, custom)
    columns: list[tuple[int, str]] = []
    labels: dict[str, str] = {}
    seen_custom: set[str] = set()
    for index, raw in enumerate(headers):
        text = (raw or "").strip()
        if not text:
            continue
        key = normalise_token(text)
        if custom:
            for header in custom:
                if normalise_token(header) == key:
                    seen_custom.add(header)
        target = table.get(key)
        if target is None or target not in valid:
            if key not in table:
                issues.warning("column.unused", f"column {text!r} is not a {entity.name} field and is ignored",
                               source=source, row=header_row, column=text)
            continue
        if target in labels:
            issues.error("column.duplicate", f"columns {labels[target]!r} and {text!r} both map to {target}; "
                         "remove one or map one to null with --mapping", source=source, row=header_row,
                         column=text)
            continue
        labels[target] = text
        columns.append((index, target))
    for header in custom or {}:
        if header not in seen_custom:
            issues.warning("mapping.unused", f"mapping names column {header!r}, which the file does not have",
                           source=source, row=header_row, column=header)
    for name in entity.required:
        if name not in labels:
            f = entity.field(name)
            issues.error("column.missing", f"required column for {name} is missing (e.g. {f.label!r} or "
                         f"{name!r})", source=source, row=header_row, column=f.label)
    return HeaderMap(tuple(columns), labels, header_row), issues
