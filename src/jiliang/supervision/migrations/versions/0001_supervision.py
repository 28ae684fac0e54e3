"""Supervision: inspection plans, draws, tasks, credit classes, integrity commitments.

Revision ID: 0001_supervision
Revises: 0001_platform
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_supervision"
down_revision = "0001_platform"
branch_labels = ("supervision",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sv_credit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("credit_class", sa.String(length=1), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("edition", sa.String(length=32), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("listing", sa.String(length=8), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_sv_credit_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sv_credit")),
        sa.UniqueConstraint("org_id", name=op.f("uq_sv_credit_org_id")),
    )
    op.create_index(op.f("ix_sv_credit_credit_class"), "sv_credit", ["credit_class"], unique=False)
    op.create_index(op.f("ix_sv_credit_listing"), "sv_credit", ["listing"], unique=False)
    op.create_table(
        "sv_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("targets_csv", sa.Text(), nullable=False),
        sa.Column("inspectors_csv", sa.Text(), nullable=False),
        sa.Column("seed_commitment", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.String(length=128), nullable=True),
        sa.Column("public_value", sa.String(length=200), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_sv_plan_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sv_plan")),
    )
    op.create_index(op.f("ix_sv_plan_status"), "sv_plan", ["status"], unique=False)
    op.create_table(
        "sv_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("discarded", sa.Boolean(), nullable=False),
        sa.Column("discard_reason", sa.String(length=500), nullable=True),
        sa.Column("drawn_by", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["drawn_by"], ["app_user.id"], name=op.f("fk_sv_draw_drawn_by_app_user")),
        sa.ForeignKeyConstraint(["plan_id"], ["sv_plan.id"], name=op.f("fk_sv_draw_plan_id_sv_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sv_draw")),
    )
    op.create_index(op.f("ix_sv_draw_plan_id"), "sv_draw", ["plan_id"], unique=False)
    op.create_table(
        "sv_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("draw_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("target_name", sa.String(length=200), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("inspected_on", sa.Date(), nullable=True),
        sa.Column("rectify_by", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["draw_id"], ["sv_draw.id"], name=op.f("fk_sv_task_draw_id_sv_draw")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_sv_task_org_id_organization")),
        sa.ForeignKeyConstraint(["plan_id"], ["sv_plan.id"], name=op.f("fk_sv_task_plan_id_sv_plan")),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_sv_task_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sv_task")),
    )
    op.create_index(op.f("ix_sv_task_draw_id"), "sv_task", ["draw_id"], unique=False)
    op.create_index("ix_sv_task_org_plan", "sv_task", ["org_id", "plan_id"], unique=False)
    op.create_index(op.f("ix_sv_task_plan_id"), "sv_task", ["plan_id"], unique=False)
    op.create_table(
        "sv_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.Column("broken_by_task", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["broken_by_task"], ["sv_task.id"], name=op.f("fk_sv_commitment_broken_by_task_sv_task")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_sv_commitment_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sv_commitment")),
        sa.UniqueConstraint("org_id", "year", name="uq_sv_commitment_org_year"),
    )
    op.create_index(op.f("ix_sv_commitment_org_id"), "sv_commitment", ["org_id"], unique=False)


def downgrade() -> None:
    for table in ("sv_commitment", "sv_task", "sv_draw", "sv_plan", "sv_credit"):
        op.drop_table(table)
