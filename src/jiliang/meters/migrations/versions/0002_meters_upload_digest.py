"""Estimation runs: the digest of the uploaded files, so a replayed upload is recognised.

Revision ID: 0002_meters_upload_digest
Revises: 0001_meters
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_meters_upload_digest"
down_revision = "0001_meters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meter_estimation_run", sa.Column("upload_digest", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_meter_estimation_run_upload_digest"), "meter_estimation_run", ["upload_digest"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_meter_estimation_run_upload_digest"), table_name="meter_estimation_run")
    op.drop_column("meter_estimation_run", "upload_digest")
