"""Cheating checks: fuel-station and charging sites, analyses, flags, inspection outcomes.

Revision ID: 0004_cheating_dispensers
Revises: 0003_meters_lots
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_cheating_dispensers"
down_revision = "0003_meters_lots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cheat_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_cheat_site_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheat_site")),
        sa.UniqueConstraint("org_id", "code", name="uq_cheat_site_org_code"),
    )
    op.create_index(op.f("ix_cheat_site_org_id"), "cheat_site", ["org_id"])
    op.create_table(
        "cheat_analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("data_digest", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["cheat_site.id"], name=op.f("fk_cheat_analysis_site_id_cheat_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheat_analysis")),
    )
    op.create_index(op.f("ix_cheat_analysis_site_id"), "cheat_analysis", ["site_id"])
    op.create_index(op.f("ix_cheat_analysis_data_digest"), "cheat_analysis", ["data_digest"])
    op.create_table(
        "cheat_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["cheat_analysis.id"],
            name=op.f("fk_cheat_flag_analysis_id_cheat_analysis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["cheat_site.id"], name=op.f("fk_cheat_flag_site_id_cheat_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheat_flag")),
    )
    op.create_index(op.f("ix_cheat_flag_analysis_id"), "cheat_flag", ["analysis_id"])
    op.create_index(op.f("ix_cheat_flag_site_id"), "cheat_flag", ["site_id"])
    op.create_table(
        "cheat_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["cheat_site.id"], name=op.f("fk_cheat_outcome_site_id_cheat_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheat_outcome")),
    )
    op.create_index(op.f("ix_cheat_outcome_site_id"), "cheat_outcome", ["site_id"])


def downgrade() -> None:
    op.drop_table("cheat_outcome")
    op.drop_table("cheat_flag")
    op.drop_table("cheat_analysis")
    op.drop_table("cheat_site")
