"""Meter supervision: estimation runs, per-meter and per-area results.

Revision ID: 0001_meters
Revises: 0001_platform
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_meters"
down_revision = "0001_platform"
branch_labels = ("meters",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meter_estimation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("meters", sa.Integer(), nullable=False),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_meter_estimation_run_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_estimation_run")),
    )
    op.create_index(op.f("ix_meter_estimation_run_org_id"), "meter_estimation_run", ["org_id"])
    op.create_table(
        "meter_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.String(length=64), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=False),
        sa.Column("error_pct", sa.Float(), nullable=True),
        sa.Column("u_error_pct", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("limit_pct", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["meter_estimation_run.id"],
            name=op.f("fk_meter_result_run_id_meter_estimation_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_result")),
    )
    op.create_index(op.f("ix_meter_result_run_id"), "meter_result", ["run_id"])
    op.create_index(op.f("ix_meter_result_meter_id"), "meter_result", ["meter_id"])
    op.create_index(op.f("ix_meter_result_area_id"), "meter_result", ["area_id"])
    op.create_index(op.f("ix_meter_result_status"), "meter_result", ["status"])
    op.create_table(
        "meter_area_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("meters", sa.Integer(), nullable=False),
        sa.Column("meters_estimated", sa.Integer(), nullable=False),
        sa.Column("loss_rate_pct", sa.Float(), nullable=True),
        sa.Column("residual_rms_pct", sa.Float(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["meter_estimation_run.id"],
            name=op.f("fk_meter_area_result_run_id_meter_estimation_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_area_result")),
    )
    op.create_index(op.f("ix_meter_area_result_run_id"), "meter_area_result", ["run_id"])
    op.create_index(op.f("ix_meter_area_result_area_id"), "meter_area_result", ["area_id"])


def downgrade() -> None:
    op.drop_table("meter_area_result")
    op.drop_table("meter_result")
    op.drop_table("meter_estimation_run")
