"""Certificate register: dcc_certificate.

Revision ID: 0001_dcc
Revises: 0001_platform
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_dcc"
down_revision = "0001_platform"
branch_labels = ("dcc",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dcc_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("lab_org_id", sa.Integer(), nullable=False),
        sa.Column("customer_org_id", sa.Integer(), nullable=True),
        sa.Column("instrument_ref", sa.Integer(), nullable=True),
        sa.Column("calibration_record_ref", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signer_subject", sa.String(length=300), nullable=False),
        sa.Column("signed_xml", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lab_org_id"], ["organization.id"], name=op.f("fk_dcc_certificate_lab_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["customer_org_id"],
            ["organization.id"],
            name=op.f("fk_dcc_certificate_customer_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["dcc_certificate.id"],
            name=op.f("fk_dcc_certificate_superseded_by_dcc_certificate"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dcc_certificate")),
        sa.UniqueConstraint("number", name=op.f("uq_dcc_certificate_number")),
    )
    op.create_index(op.f("ix_dcc_certificate_lab_org_id"), "dcc_certificate", ["lab_org_id"], unique=False)
    op.create_index(
        op.f("ix_dcc_certificate_customer_org_id"), "dcc_certificate", ["customer_org_id"], unique=False
    )
    op.create_index(
        op.f("ix_dcc_certificate_instrument_ref"), "dcc_certificate", ["instrument_ref"], unique=False
    )
    op.create_index(
        op.f("ix_dcc_certificate_calibration_record_ref"),
        "dcc_certificate",
        ["calibration_record_ref"],
        unique=False,
    )
    op.create_index(op.f("ix_dcc_certificate_sha256"), "dcc_certificate", ["sha256"], unique=False)
    op.create_index(op.f("ix_dcc_certificate_status"), "dcc_certificate", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("dcc_certificate")
