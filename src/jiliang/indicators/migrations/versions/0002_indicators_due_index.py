"""Indicators: a partial index on the registry's instruments for the city's 受检率.

The indicator counts the compulsory instruments not retired and those not verified on time
(last result not a pass, or due before the day). Ordered by (last_result, next_due_on), the
few not on time are index searches and the count of all a pass over a two-column index, instead of
a pass over the five-column ``ix_reg_instrument_rate`` with an expression on each row.

Revision ID: 0002_indicators_due_index
Revises: 0001_indicators
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_indicators_due_index"
down_revision = "0001_indicators"
branch_labels = None
depends_on = ("0001_registry",)  # the table and its columns


def upgrade() -> None:
    op.create_index(
        "ix_ind_instrument_due",
        "reg_instrument",
        ["last_result", "next_due_on"],
        sqlite_where=sa.text("compulsory IS 1 AND status != 'retired'"),
        postgresql_where=sa.text("compulsory IS true AND status != 'retired'"),
    )


def downgrade() -> None:
    op.drop_index("ix_ind_instrument_due", table_name="reg_instrument")
