"""Registry tables: instrument types, instruments, standards, reference materials, records.

Revision ID: 0001_registry
Revises: 0001_platform
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = "0001_platform"
branch_labels = ("registry",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reg_instrument_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("regulation", sa.String(length=200), nullable=True),
        sa.Column("period_months", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=48), nullable=False),
        sa.Column("tolerance_percent", sa.Float(), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("edition", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("compulsory", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_instrument_type")),
        sa.UniqueConstraint("code", name=op.f("uq_reg_instrument_type_code")),
    )
    op.create_table(
        "reg_instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("manufacturer", sa.String(length=200), nullable=True),
        sa.Column("accuracy_class", sa.String(length=32), nullable=True),
        sa.Column("measuring_range", sa.String(length=100), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("use", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("compulsory", sa.Boolean(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=True),
        sa.Column("last_verified_on", sa.Date(), nullable=True),
        sa.Column("last_result", sa.String(length=8), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("booked_on", sa.Date(), nullable=True),
        sa.Column("booked_lab_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booked_lab_id"], ["organization.id"], name=op.f("fk_reg_instrument_booked_lab_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_reg_instrument_district_id_district")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["organization.id"], name=op.f("fk_reg_instrument_owner_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["reg_instrument_type.id"],
            name=op.f("fk_reg_instrument_type_id_reg_instrument_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_instrument")),
        sa.UniqueConstraint("owner_id", "type_id", "serial", name="uq_reg_instrument_identity"),
    )
    op.create_index(
        "ix_reg_instrument_district_type_id", "reg_instrument", ["district_id", "type_id", "id"], unique=False
    )
    op.create_index("ix_reg_instrument_due", "reg_instrument", ["next_due_on", "status"], unique=False)
    op.create_index(
        "ix_reg_instrument_owner_status_id", "reg_instrument", ["owner_id", "status", "id"], unique=False
    )
    op.create_index(
        "ix_reg_instrument_serial",
        "reg_instrument",
        ["serial"],
        unique=False,
        postgresql_ops={"serial": "varchar_pattern_ops"},
    )
    op.create_index("ix_reg_instrument_status_id", "reg_instrument", ["status", "id"], unique=False)
    op.create_index(
        "ix_reg_instrument_type_status_id", "reg_instrument", ["type_id", "status", "id"], unique=False
    )
    op.create_table(
        "reg_reference_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.String(length=48), nullable=False),
        sa.Column("certified_value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=False),
        sa.Column("producer", sa.String(length=200), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["organization.id"], name=op.f("fk_reg_reference_material_holder_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_reference_material")),
        sa.UniqueConstraint("code", name=op.f("uq_reg_reference_material_code")),
    )
    op.create_index(
        op.f("ix_reg_reference_material_expires_on"), "reg_reference_material", ["expires_on"], unique=False
    )
    op.create_index(
        op.f("ix_reg_reference_material_holder_id"), "reg_reference_material", ["holder_id"], unique=False
    )
    op.create_table(
        "reg_standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.String(length=48), nullable=False),
        sa.Column("range_min", sa.Float(), nullable=True),
        sa.Column("range_max", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("uncertainty", sa.Float(), nullable=True),
        sa.Column("accuracy_class", sa.String(length=32), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("approval_no", sa.String(length=64), nullable=True),
        sa.Column("approval_valid_until", sa.Date(), nullable=True),
        sa.Column("covers", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["organization.id"], name=op.f("fk_reg_standard_holder_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_standard")),
        sa.UniqueConstraint("code", name=op.f("uq_reg_standard_code")),
    )
    op.create_index(op.f("ix_reg_standard_holder_id"), "reg_standard", ["holder_id"], unique=False)
    op.create_index(op.f("ix_reg_standard_level"), "reg_standard", ["level"], unique=False)
    op.create_index(op.f("ix_reg_standard_quantity"), "reg_standard", ["quantity"], unique=False)
    op.create_table(
        "reg_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["reg_instrument.id"],
            name=op.f("fk_reg_reminder_instrument_id_reg_instrument"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["organization.id"], name=op.f("fk_reg_reminder_owner_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_reminder")),
        sa.UniqueConstraint("instrument_id", "kind", "due_on", name="uq_reg_reminder_once"),
    )
    op.create_index("ix_reg_reminder_created", "reg_reminder", ["created_at"], unique=False)
    op.create_index(op.f("ix_reg_reminder_owner_id"), "reg_reminder", ["owner_id"], unique=False)
    op.create_table(
        "reg_standard_calibration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.Column("by_standard_id", sa.Integer(), nullable=True),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        sa.Column("calibrated_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("certificate_no", sa.String(length=64), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_standard_id"],
            ["reg_standard.id"],
            name=op.f("fk_reg_standard_calibration_by_standard_id_reg_standard"),
        ),
        sa.ForeignKeyConstraint(
            ["lab_id"], ["organization.id"], name=op.f("fk_reg_standard_calibration_lab_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["reg_standard.id"],
            name=op.f("fk_reg_standard_calibration_standard_id_reg_standard"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_standard_calibration")),
    )
    op.create_index(
        "ix_reg_standard_calibration_std_on",
        "reg_standard_calibration",
        ["standard_id", "calibrated_on"],
        unique=False,
    )
    op.create_table(
        "reg_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("notice_no", sa.String(length=64), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("humidity_percent", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["reg_instrument.id"],
            name=op.f("fk_reg_verification_instrument_id_reg_instrument"),
        ),
        sa.ForeignKeyConstraint(
            ["lab_id"], ["organization.id"], name=op.f("fk_reg_verification_lab_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_verification")),
    )
    op.create_index(
        op.f("ix_reg_verification_certificate_no"), "reg_verification", ["certificate_no"], unique=False
    )
    op.create_index(
        "ix_reg_verification_instrument_on",
        "reg_verification",
        ["instrument_id", "verified_on"],
        unique=False,
    )
    op.create_index(
        "ix_reg_verification_lab_instrument", "reg_verification", ["lab_id", "instrument_id"], unique=False
    )
    op.create_table(
        "reg_work_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["reg_instrument.id"],
            name=op.f("fk_reg_work_order_instrument_id_reg_instrument"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reg_work_order")),
    )
    op.create_index(
        op.f("ix_reg_work_order_instrument_id"), "reg_work_order", ["instrument_id"], unique=False
    )
    op.create_table(
        "reg_verification_standard",
        sa.Column("verification_id", sa.Integer(), nullable=False),
        sa.Column("standard_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["reg_standard.id"],
            name=op.f("fk_reg_verification_standard_standard_id_reg_standard"),
        ),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["reg_verification.id"],
            name=op.f("fk_reg_verification_standard_verification_id_reg_verification"),
        ),
        sa.PrimaryKeyConstraint("verification_id", "standard_id", name=op.f("pk_reg_verification_standard")),
    )
    op.create_index(
        "ix_reg_verification_standard_std", "reg_verification_standard", ["standard_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_reg_verification_standard_std", table_name="reg_verification_standard")
    op.drop_table("reg_verification_standard")
    op.drop_index(op.f("ix_reg_work_order_instrument_id"), table_name="reg_work_order")
    op.drop_table("reg_work_order")
    op.drop_index("ix_reg_verification_lab_instrument", table_name="reg_verification")
    op.drop_index("ix_reg_verification_instrument_on", table_name="reg_verification")
    op.drop_index(op.f("ix_reg_verification_certificate_no"), table_name="reg_verification")
    op.drop_table("reg_verification")
    op.drop_index("ix_reg_standard_calibration_std_on", table_name="reg_standard_calibration")
    op.drop_table("reg_standard_calibration")
    op.drop_index(op.f("ix_reg_reminder_owner_id"), table_name="reg_reminder")
    op.drop_index("ix_reg_reminder_created", table_name="reg_reminder")
    op.drop_table("reg_reminder")
    op.drop_index(op.f("ix_reg_standard_quantity"), table_name="reg_standard")
    op.drop_index(op.f("ix_reg_standard_level"), table_name="reg_standard")
    op.drop_index(op.f("ix_reg_standard_holder_id"), table_name="reg_standard")
    op.drop_table("reg_standard")
    op.drop_index(op.f("ix_reg_reference_material_holder_id"), table_name="reg_reference_material")
    op.drop_index(op.f("ix_reg_reference_material_expires_on"), table_name="reg_reference_material")
    op.drop_table("reg_reference_material")
    op.drop_index("ix_reg_instrument_type_status_id", table_name="reg_instrument")
    op.drop_index("ix_reg_instrument_status_id", table_name="reg_instrument")
    op.drop_index(
        "ix_reg_instrument_serial",
        table_name="reg_instrument",
        postgresql_ops={"serial": "varchar_pattern_ops"},
    )
    op.drop_index("ix_reg_instrument_owner_status_id", table_name="reg_instrument")
    op.drop_index("ix_reg_instrument_due", table_name="reg_instrument")
    op.drop_index("ix_reg_instrument_district_type_id", table_name="reg_instrument")
    op.drop_table("reg_instrument")
    op.drop_table("reg_instrument_type")
