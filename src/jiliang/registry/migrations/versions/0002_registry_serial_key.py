"""Instruments: the serial's identity form, unique per owner and type (backfilled).

Serials that differ only in case, width (full-width letters), invisible characters or surrounding
whitespace are one instrument. Rows already stored twice under such spellings keep their own
instrument: the later one's key gets ``#<id>`` appended so the unique index can be built, and the
upgrade prints them so the register can be cleaned up.

Revision ID: 0002_registry_serial_key
Revises: 0001_registry
Create Date: 2026-11-30
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002_registry_serial_key"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

# A copy of jiliang.platform.cells.identity_text as it was at this revision (migrations are frozen).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)


def _identity(text: str) -> str:
    folded = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return re.sub(r"\s+", " ", folded).strip().casefold()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.add_column(
            "reg_instrument",
            sa.Column("serial_key", sa.String(length=128), nullable=False, server_default=""),
        )
    else:
        op.add_column("reg_instrument", sa.Column("serial_key", sa.String(length=128), nullable=True))
    table = sa.table(
        "reg_instrument",
        sa.column("id", sa.Integer),
        sa.column("owner_id", sa.Integer),
        sa.column("type_id", sa.Integer),
        sa.column("serial", sa.String),
        sa.column("serial_key", sa.String),
    )
    seen: set[tuple[int, int, str]] = set()
    updates = []
    clashes = []
    rows = bind.execute(
        sa.select(table.c.id, table.c.owner_id, table.c.type_id, table.c.serial).order_by(table.c.id)
    )
    for iid, owner, type_id, serial in rows:
        key = _identity(serial)[:128]
        if (owner, type_id, key) in seen:
            clashes.append((iid, serial))
            key = f"{key[:100]}#{iid}"
        seen.add((owner, type_id, key))
        updates.append({"b_id": iid, "b_key": key})
    stmt = sa.update(table).where(table.c.id == sa.bindparam("b_id")).values(serial_key=sa.bindparam("b_key"))
    for i in range(0, len(updates), 10_000):
        bind.execute(stmt, updates[i : i + 10_000])
    if clashes:
        print(
            f"reg_instrument: {len(clashes)} instrument(s) share owner, type and serial with another "
            f"except for case, width or invisible characters, kept apart, e.g. id {clashes[0][0]} "
            f"{clashes[0][1]!r}"
        )
    if bind.dialect.name != "sqlite":
        op.alter_column("reg_instrument", "serial_key", nullable=False)
    op.create_index(
        "uq_reg_instrument_serial_key", "reg_instrument", ["owner_id", "type_id", "serial_key"], unique=True
    )
    op.create_index(
        "ix_reg_instrument_serial_key",
        "reg_instrument",
        ["serial_key"],
        unique=False,
        postgresql_ops={"serial_key": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_reg_instrument_serial_key", table_name="reg_instrument")
    op.drop_index("uq_reg_instrument_serial_key", table_name="reg_instrument")
    op.drop_column("reg_instrument", "serial_key")
