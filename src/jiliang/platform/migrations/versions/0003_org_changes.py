"""Organizations: the lab's authorised scope and change requests decided by the regulator.

Revision ID: 0003_org_changes
Revises: 0002_audit_checkpoint
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_org_changes"
down_revision = "0002_audit_checkpoint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organization", sa.Column("authorised_type_codes", sa.JSON(), nullable=True))
    op.create_table(
        "org_change_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_org_change_request_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["app_user.id"], name=op.f("fk_org_change_request_requested_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_org_change_request_decided_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_change_request")),
    )
    op.create_index(op.f("ix_org_change_request_org_id"), "org_change_request", ["org_id"], unique=False)
    op.create_index(op.f("ix_org_change_request_status"), "org_change_request", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("org_change_request")
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("authorised_type_codes")
