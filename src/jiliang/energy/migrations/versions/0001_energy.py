"""Energy metering review and carbon measurement.

Revision ID: 0001_energy
Revises: 0001_platform
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_energy"
down_revision = "0001_platform"
branch_labels = ("energy",)
depends_on = ("0001_registry",)


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{ref}.id"], name=op.f(f"fk_{table}_{col}_{ref}"))


def upgrade() -> None:
    op.create_table(
        "en_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("energy_types", sa.JSON(), nullable=False),
        sa.Column("consumption_tce", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("en_unit", "org_id", "organization"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_en_unit")),
        sa.UniqueConstraint("org_id", name=op.f("uq_en_unit_org_id")),
        sa.UniqueConstraint("code", name=op.f("uq_en_unit_code")),
    )
    op.create_table(
        "en_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("energy_type", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        _fk("en_requirement", "unit_id", "en_unit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_en_requirement")),
        sa.UniqueConstraint("unit_id", "energy_type", "level", name=op.f("uq_en_requirement_unit_id")),
    )
    op.create_index(op.f("ix_en_requirement_unit_id"), "en_requirement", ["unit_id"])
    op.create_table(
        "en_meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("energy_type", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("point", sa.String(length=200), nullable=False),
        sa.Column("requirement", sa.String(length=32), nullable=True),
        sa.Column("accuracy_class", sa.String(length=32), nullable=True),
        _fk("en_meter", "unit_id", "en_unit"),
        _fk("en_meter", "instrument_id", "reg_instrument"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_en_meter")),
        sa.UniqueConstraint("instrument_id", name=op.f("uq_en_meter_instrument_id")),
    )
    op.create_index(op.f("ix_en_meter_unit_id"), "en_meter", ["unit_id"])
    op.create_table(
        "en_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("edition", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("en_review", "unit_id", "en_unit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_en_review")),
        sa.UniqueConstraint("code", name=op.f("uq_en_review_code")),
    )
    op.create_index(op.f("ix_en_review_unit_id"), "en_review", ["unit_id"])
    op.create_index(op.f("ix_en_review_state"), "en_review", ["state"])
    op.create_table(
        "en_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("clause", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("en_finding", "review_id", "en_review"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_en_finding")),
    )
    op.create_index(op.f("ix_en_finding_review_id"), "en_finding", ["review_id"])
    op.create_table(
        "en_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("energy_type", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("u_rel", sa.Float(), nullable=True),
        sa.Column("factor_code", sa.String(length=64), nullable=False),
        sa.Column("factor_value", sa.Float(), nullable=True),
        sa.Column("factor_u_rel", sa.Float(), nullable=True),
        sa.Column("factor_source", sa.String(length=300), nullable=True),
        _fk("en_activity", "unit_id", "en_unit"),
        _fk("en_activity", "meter_id", "en_meter"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_en_activity")),
    )
    op.create_index(op.f("ix_en_activity_unit_id"), "en_activity", ["unit_id"])
    op.create_index(op.f("ix_en_activity_period"), "en_activity", ["period"])
    op.create_index(op.f("ix_en_activity_meter_id"), "en_activity", ["meter_id"])


def downgrade() -> None:
    for table in ("en_activity", "en_finding", "en_review", "en_meter", "en_requirement", "en_unit"):
        op.drop_table(table)
