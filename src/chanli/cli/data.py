"""``chanli import`` and ``chanli export`` (being written; registers its commands on import)."""

from __future__ import annotations
