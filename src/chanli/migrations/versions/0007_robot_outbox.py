"""integrations: the group-robot outbox (robot_messages)

Written by hand against the model and checked with the drift test. The sender reads unsent
rows due for an attempt, so (sent_at, next_attempt_at) is indexed. No data is seeded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "robot_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("robot", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_robot_messages")),
    )
    with op.batch_alter_table("robot_messages", schema=None) as batch_op:
        batch_op.create_index("ix_robot_messages_sent_at_next_attempt_at", ["sent_at", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("robot_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_robot_messages_sent_at_next_attempt_at")
    op.drop_table("robot_messages")
