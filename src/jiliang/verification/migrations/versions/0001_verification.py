"""Bookings, their instruments, work-order progress.

Revision ID: 0001_verification
Revises: 0001_platform

Like the certificates' tables, these refer to registry rows (instrument, record, work order) by id
without a foreign key, so the capability's branch does not depend on the registry's.
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_verification"
down_revision = "0001_platform"
branch_labels = ("verification",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vf_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("preferred_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.String(length=32), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["organization.id"], name=op.f("fk_vf_booking_owner_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["lab_id"], ["organization.id"], name=op.f("fk_vf_booking_lab_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_vf_booking_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vf_booking")),
        sa.UniqueConstraint("owner_id", "idempotency_key", name="uq_vf_booking_idempotency"),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_vf_booking_receipt_no")),
    )
    op.create_index("ix_vf_booking_lab_state", "vf_booking", ["lab_id", "state", "id"], unique=False)
    op.create_index("ix_vf_booking_owner_state", "vf_booking", ["owner_id", "state", "id"], unique=False)
    op.create_index("ix_vf_booking_state_created", "vf_booking", ["state", "created_at"], unique=False)
    op.create_table(
        "vf_booking_item",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=8), nullable=True),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("notice_no", sa.String(length=64), nullable=True),
        sa.Column("performer", sa.String(length=64), nullable=True),
        sa.Column("approver", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["vf_booking.id"], name=op.f("fk_vf_booking_item_booking_id_vf_booking")
        ),
        sa.PrimaryKeyConstraint("booking_id", "instrument_id", name=op.f("pk_vf_booking_item")),
    )
    op.create_index(
        op.f("ix_vf_booking_item_instrument_id"), "vf_booking_item", ["instrument_id"], unique=False
    )
    op.create_table(
        "vf_work_order_progress",
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("assignee_org_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("measured_error", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_org_id"],
            ["organization.id"],
            name=op.f("fk_vf_work_order_progress_assignee_org_id_organization"),
        ),
        sa.PrimaryKeyConstraint("work_order_id", name=op.f("pk_vf_work_order_progress")),
    )
    op.create_index(
        op.f("ix_vf_work_order_progress_assignee_org_id"),
        "vf_work_order_progress",
        ["assignee_org_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("vf_work_order_progress")
    op.drop_table("vf_booking_item")
    op.drop_table("vf_booking")
