"""Users: an optional e-mail address for notifications.

Revision ID: 0004_user_email
Revises: 0003_org_changes
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_user_email"
down_revision = "0003_org_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")
