"""``chanli demo`` (being written; registers its command on import)."""

from __future__ import annotations
