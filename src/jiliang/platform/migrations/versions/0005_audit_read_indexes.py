"""Audit log: indexes for reading it by actor, action and entity.

The audit page filters by actor and action and names each entity from the entry that created it;
without these, a filter or a page of changes reads the whole log. Each index also holds the entry's
sequence number, so a filtered page is an index range, newest first.

Revision ID: 0005_audit_read_indexes
Revises: 0004_user_email
Create Date: 2026-11-30
"""

from alembic import op

revision = "0005_audit_read_indexes"
down_revision = "0004_user_email"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_entry_actor_seq", "audit_entry", ["actor", "seq"])
    op.create_index("ix_audit_entry_action_seq", "audit_entry", ["action", "seq"])
    op.create_index("ix_audit_entry_entity_id_action", "audit_entry", ["entity", "entity_id", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_entity_id_action", table_name="audit_entry")
    op.drop_index("ix_audit_entry_action_seq", table_name="audit_entry")
    op.drop_index("ix_audit_entry_actor_seq", table_name="audit_entry")
