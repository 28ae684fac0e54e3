"""The page cache taken for one bulk write on SQLite is given back afterwards, also on an error."""

from __future__ import annotations

import pytest

from jiliang.platform.db import sqlite_page_cache


def _size(conn):
    return int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())


def test_page_cache_for_one_write(db):
    with db.session(actor="test") as s:
        conn = s.connection()
        if not db.is_sqlite:
            with sqlite_page_cache(conn, 64):  # nothing to do elsewhere
                pass
            return
        before = _size(conn)
        with sqlite_page_cache(conn, 64):
            assert _size(conn) == -65536
        assert _size(conn) == before
        with pytest.raises(RuntimeError), sqlite_page_cache(conn, 32):
            assert _size(conn) == -32768
            raise RuntimeError("bulk write failed")
        assert _size(conn) == before
