"""Comparison rounds, participants and submissions.

Revision ID: 0001_comparisons
Revises: 0001_platform
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_comparisons"
down_revision = "0001_platform"
branch_labels = ("comparisons",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comparison_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("measurand", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("pilot_org_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("estimator", sa.String(length=40), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("excluded", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pilot_org_id"], ["organization.id"], name=op.f("fk_comparison_round_pilot_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_round")),
        sa.UniqueConstraint("code", name=op.f("uq_comparison_round_code")),
    )
    op.create_index(op.f("ix_comparison_round_pilot_org_id"), "comparison_round", ["pilot_org_id"])
    op.create_index(op.f("ix_comparison_round_state"), "comparison_round", ["state"])
    op.create_table(
        "comparison_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["comparison_round.id"],
            name=op.f("fk_comparison_participant_round_id_comparison_round"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_comparison_participant_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_participant")),
        sa.UniqueConstraint("round_id", "org_id", name=op.f("uq_comparison_participant_round_id")),
    )
    op.create_index(op.f("ix_comparison_participant_round_id"), "comparison_participant", ["round_id"])
    op.create_index(op.f("ix_comparison_participant_org_id"), "comparison_participant", ["org_id"])
    op.create_table(
        "comparison_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("U", sa.Float(), nullable=False),
        sa.Column("k", sa.Float(), nullable=False),
        sa.Column("dof", sa.Float(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["comparison_round.id"],
            name=op.f("fk_comparison_submission_round_id_comparison_round"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_comparison_submission_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["app_user.id"], name=op.f("fk_comparison_submission_submitted_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_submission")),
        sa.UniqueConstraint("round_id", "org_id", name=op.f("uq_comparison_submission_round_id")),
    )
    op.create_index(op.f("ix_comparison_submission_round_id"), "comparison_submission", ["round_id"])
    op.create_index(op.f("ix_comparison_submission_org_id"), "comparison_submission", ["org_id"])


def downgrade() -> None:
    op.drop_table("comparison_submission")
    op.drop_table("comparison_participant")
    op.drop_table("comparison_round")
