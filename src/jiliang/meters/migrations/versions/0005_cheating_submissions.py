"""Cheating checks: the submitted files kept as received (who, when, digests), each analysis linked
to the submission it was made from, so a result can be traced to its data and run again.

Revision ID: 0005_cheating_submissions
Revises: 0004_cheating_dispensers
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_cheating_submissions"
down_revision = "0004_cheating_dispensers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cheat_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("data_digest", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["cheat_site.id"], name=op.f("fk_cheat_submission_site_id_cheat_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheat_submission")),
    )
    op.create_index(op.f("ix_cheat_submission_site_id"), "cheat_submission", ["site_id"])
    op.create_index(op.f("ix_cheat_submission_data_digest"), "cheat_submission", ["data_digest"])
    op.create_table(
        "cheat_submission_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["cheat_submission.id"],
            name=op.f("fk_cheat_submission_file_submission_id_cheat_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cheat_submission_file")),
        sa.UniqueConstraint("submission_id", "name", name="uq_cheat_submission_file_name"),
    )
    op.create_index(
        op.f("ix_cheat_submission_file_submission_id"), "cheat_submission_file", ["submission_id"]
    )
    # a nullable column with its reference, added in place: on SQLite a copy of cheat_analysis
    # (batch mode) would cascade to its flags
    fk = "fk_cheat_analysis_submission_id_cheat_submission"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE cheat_analysis ADD COLUMN submission_id INTEGER "
            f"CONSTRAINT {fk} REFERENCES cheat_submission (id)"
        )
    else:
        op.add_column("cheat_analysis", sa.Column("submission_id", sa.Integer(), nullable=True))
        op.create_foreign_key(fk, "cheat_analysis", "cheat_submission", ["submission_id"], ["id"])
    op.create_index(op.f("ix_cheat_analysis_submission_id"), "cheat_analysis", ["submission_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cheat_analysis_submission_id"), table_name="cheat_analysis")
    with op.batch_alter_table("cheat_analysis") as batch:
        batch.drop_constraint("fk_cheat_analysis_submission_id_cheat_submission", type_="foreignkey")
        batch.drop_column("submission_id")
    op.drop_table("cheat_submission_file")
    op.drop_table("cheat_submission")
