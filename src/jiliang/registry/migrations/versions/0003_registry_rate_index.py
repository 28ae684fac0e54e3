"""Instruments: a partial covering index for 受检率 (the verification rate).

The home page and the coverage page count, per district, type and owner, the compulsory
instruments not retired and those verified on time; with this index the count is one index-only
pass in group order instead of a pass over the whole table and a sort.

Revision ID: 0003_registry_rate_index
Revises: 0002_registry_serial_key
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_registry_rate_index"
down_revision = "0002_registry_serial_key"
branch_labels = None
depends_on = None

COLUMNS = ["district_id", "type_id", "owner_id", "last_result", "next_due_on"]


def upgrade() -> None:
    op.create_index(
        "ix_reg_instrument_rate",
        "reg_instrument",
        COLUMNS,
        sqlite_where=sa.text("compulsory IS 1 AND status != 'retired'"),
        postgresql_where=sa.text("compulsory IS true AND status != 'retired'"),
    )


def downgrade() -> None:
    op.drop_index("ix_reg_instrument_rate", table_name="reg_instrument")
