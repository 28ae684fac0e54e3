from __future__ import annotations

import pytest

from jiliang.errors import InputError
from jiliang.platform.settings import Settings, load_settings


def test_defaults_use_sqlite_in_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{(tmp_path / 'jiliang.sqlite3').resolve()}"
    assert s.default_language == "zh"


def test_environment_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("JILIANG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JILIANG_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("JILIANG_DATABASE_URL", "postgresql://u@h/db")
    s = load_settings()
    assert s.data_dir == tmp_path and s.default_language == "en"
    assert s.effective_database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("JILIANG_DEFAULT_LANGUAGE", "fr", "JILIANG_DEFAULT_LANGUAGE"),
        ("JILIANG_DATABASE_URL", "mysql://x", "JILIANG_DATABASE_URL"),
        ("JILIANG_MAX_BODY_BYTES", "-1", "JILIANG_MAX_BODY_BYTES"),
        ("JILIANG_SECRET_KEY", "short", "JILIANG_SECRET_KEY"),
    ],
)
def test_bad_settings_name_the_setting(monkeypatch, name, value, field):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        load_settings()
    assert field in str(err.value) and "\n" not in str(err.value)


def test_unknown_keyword_is_refused():
    with pytest.raises(InputError, match="NOPE"):
        load_settings(nope=1)
