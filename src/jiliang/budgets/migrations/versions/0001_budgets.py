"""Saved uncertainty budgets.

Revision ID: 0001_budgets
Revises: 0001_platform
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_budgets"
down_revision = "0001_platform"
branch_labels = ("budgets",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uncertainty_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_uncertainty_budget_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["app_user.id"], name=op.f("fk_uncertainty_budget_owner_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uncertainty_budget")),
    )
    op.create_index(op.f("ix_uncertainty_budget_org_id"), "uncertainty_budget", ["org_id"], unique=False)
    op.create_index(op.f("ix_uncertainty_budget_owner_id"), "uncertainty_budget", ["owner_id"], unique=False)


def downgrade() -> None:
    op.drop_table("uncertainty_budget")
