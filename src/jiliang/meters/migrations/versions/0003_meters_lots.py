"""In-service meter lots: lots, their members and the field results of their samples.

Revision ID: 0003_meters_lots
Revises: 0002_meters_upload_digest
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_meters_lots"
down_revision = "0002_meters_upload_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meter_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("maker", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("install_year", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("ac", sa.Integer(), nullable=False),
        sa.Column("re", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("p_est", sa.Float(), nullable=True),
        sa.Column("u_p_est", sa.Float(), nullable=True),
        sa.Column("m_est", sa.Integer(), nullable=False),
        sa.Column("pass_prob", sa.Float(), nullable=True),
        sa.Column("estimate_run_id", sa.Integer(), nullable=True),
        sa.Column("seed", sa.String(length=24), nullable=True),
        sa.Column("members_sha256", sa.String(length=64), nullable=True),
        sa.Column("sample", sa.JSON(), nullable=False),
        sa.Column("replacements", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("extend_years", sa.Integer(), nullable=True),
        sa.Column("nonconforming", sa.Integer(), nullable=True),
        sa.Column("clause", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_meter_lot_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_lot")),
        sa.UniqueConstraint("label", name=op.f("uq_meter_lot_label")),
    )
    op.create_index(op.f("ix_meter_lot_org_id"), "meter_lot", ["org_id"])
    op.create_index(op.f("ix_meter_lot_status"), "meter_lot", ["status"])
    op.create_table(
        "meter_lot_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("meter_no", sa.String(length=64), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=True),
        sa.Column("p_nc", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["meter_lot.id"],
            name=op.f("fk_meter_lot_member_lot_id_meter_lot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_lot_member")),
        sa.UniqueConstraint("lot_id", "meter_no", name="uq_meter_lot_member"),
    )
    op.create_index(op.f("ix_meter_lot_member_lot_id"), "meter_lot_member", ["lot_id"])
    op.create_index("ix_meter_lot_member_meter_no", "meter_lot_member", ["meter_no"])
    op.create_table(
        "meter_lot_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("meter_no", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_pct", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["meter_lot.id"],
            name=op.f("fk_meter_lot_result_lot_id_meter_lot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_lot_result")),
        sa.UniqueConstraint("lot_id", "meter_no", name="uq_meter_lot_result"),
    )
    op.create_index(op.f("ix_meter_lot_result_lot_id"), "meter_lot_result", ["lot_id"])


def downgrade() -> None:
    op.drop_table("meter_lot_result")
    op.drop_table("meter_lot_member")
    op.drop_table("meter_lot")
