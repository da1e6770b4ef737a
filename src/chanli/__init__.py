"""Chanli 产力 — raise the productive capacity of sales teams."""

from __future__ import annotations

__version__ = "0.1.0"
