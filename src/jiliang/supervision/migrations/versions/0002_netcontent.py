"""Supervision: net-content inspections and packers' self-checks (JJF 1070).

Revision ID: 0002_sv_netcontent
Revises: 0001_supervision
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_sv_netcontent"
down_revision = "0001_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sv_netcontent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=True),
        sa.Column("nominal", sa.String(length=24), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("sample_items", sa.JSON(), nullable=True),
        sa.Column("net_values", sa.JSON(), nullable=True),
        sa.Column("tare_method", sa.String(length=12), nullable=True),
        sa.Column("verdict", sa.JSON(), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("inspected_on", sa.Date(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("judged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_sv_netcontent_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["judged_by"], ["app_user.id"], name=op.f("fk_sv_netcontent_judged_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_sv_netcontent_org_id_organization")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["sv_task.id"], name=op.f("fk_sv_netcontent_task_id_sv_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sv_netcontent")),
    )
    op.create_index(op.f("ix_sv_netcontent_decision"), "sv_netcontent", ["decision"], unique=False)
    op.create_index(op.f("ix_sv_netcontent_status"), "sv_netcontent", ["status"], unique=False)
    op.create_index(op.f("ix_sv_netcontent_task_id"), "sv_netcontent", ["task_id"], unique=False)
    op.create_index("ix_sv_netcontent_org_kind", "sv_netcontent", ["org_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_table("sv_netcontent")
