"""Alembic migrations. One linear history; migrations spell column types out and never
import application code, so an old migration keeps working when the models move on."""

from __future__ import annotations
