"""The outbox of e-mail notifications, sent after the state change that wrote them commits.

Revision ID: 0002_mail_outbox
Revises: 0001_verification
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_mail_outbox"
down_revision = "0001_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vf_mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vf_mail_outbox")),
    )
    op.create_index("ix_vf_mail_outbox_pending", "vf_mail_outbox", ["sent_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_vf_mail_outbox_pending", table_name="vf_mail_outbox")
    op.drop_table("vf_mail_outbox")
