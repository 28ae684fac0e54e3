"""Meter lots: the member table loses its index on ``lot_id`` alone.

The unique index on ``(lot_id, meter_no)`` starts with ``lot_id`` and serves every look-up by lot
(and the cascade from a deleted lot) as well; the second index only cost a third B-tree insert per
member — about a tenth of the time of storing a million members on SQLite.

Revision ID: 0006_meters_lot_member_index
Revises: 0005_cheating_submissions
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006_meters_lot_member_index"
down_revision = "0005_cheating_submissions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_meter_lot_member_lot_id"), table_name="meter_lot_member")


def downgrade() -> None:
    op.create_index(op.f("ix_meter_lot_member_lot_id"), "meter_lot_member", ["lot_id"])
