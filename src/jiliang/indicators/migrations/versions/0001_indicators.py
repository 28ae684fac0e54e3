"""Indicators: monthly values and evaluation reports.

Revision ID: 0001_indicators
Revises: 0001_platform
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_indicators"
down_revision = "0001_platform"
branch_labels = ("indicators",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ind_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["app_user.id"], name=op.f("fk_ind_value_entered_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ind_value")),
        sa.UniqueConstraint("indicator", "period", "origin", name="uq_ind_value_month"),
    )
    op.create_index(op.f("ix_ind_value_indicator"), "ind_value", ["indicator"], unique=False)
    op.create_table(
        "ind_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("narrative_zh", sa.Text(), nullable=False),
        sa.Column("narrative_en", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_ind_report_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["app_user.id"], name=op.f("fk_ind_report_published_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ind_report")),
    )
    op.create_index(op.f("ix_ind_report_plan"), "ind_report", ["plan"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ind_report_plan"), table_name="ind_report")
    op.drop_table("ind_report")
    op.drop_index(op.f("ix_ind_value_indicator"), table_name="ind_value")
    op.drop_table("ind_value")
