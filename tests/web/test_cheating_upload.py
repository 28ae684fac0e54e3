"""Submitting a station's or a charging site's files from the console: the forms (who sees which),
CSRF, the result page with the data behind it (download as received, run again), and malformed,
hostile and oversized files refused inside the page, in the page's language, with nothing stored."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pytest

from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site
from jiliang.meters.cheatio import charger_csv, station_csv
from jiliang.meters.dispensersynth import SynthStationConfig, synth_station
from tests.conftest import csrf
from tests.web.test_language import english_words, visible_text

HTML = {"Accept": "text/html"}


@cache
def _station() -> dict[str, bytes]:
    st = synth_station(SynthStationConfig(days=12, cheat=True), np.random.default_rng(3))
    return station_csv(st.data, st.events)


@cache
def _charging() -> dict[str, bytes]:
    site = synth_charger_site(ChargerSiteConfig(days=14, chargers=2), np.random.default_rng(4))
    return charger_csv(site.data, site.sessions)


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def _stored(client) -> tuple[int, int, int]:
    """Submissions, their files, analyses."""
    from sqlalchemy import func, select

    from jiliang.meters.cheatmodels import CheatAnalysis, CheatSubmission, CheatSubmissionFile

    with client.app.state.db.sessionmaker() as s:
        return tuple(  # type: ignore[return-value]
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (CheatSubmission, CheatSubmissionFile, CheatAnalysis)
        )


def _post_station(client, headers, files, code="WEB1", lang="", **fields):
    return client.post(
        "/cheating/stations" + lang,
        headers=headers,
        data={"csrf_token": csrf(client, "/cheating"), "code": code, "name": "网上一号站", **fields},
        files={k: (f"{k}.csv", v, "text/csv") for k, v in files.items()},
        follow_redirects=False,
    )


def test_forms_are_offered_to_those_who_may_submit(client, auth_headers):
    fuel = client.get("/cheating", headers=_h(auth_headers, "fuel")).text
    assert 'action="/cheating/stations"' in fuel and 'action="/cheating/charging-sites"' not in fuel
    assert 'name="org_id"' not in fuel  # a station submits for itself
    assert 'enctype="multipart/form-data"' in fuel and 'name="csrf_token"' in fuel
    reg = client.get("/cheating", headers=_h(auth_headers, "regulator")).text
    assert 'action="/cheating/stations"' in reg and 'action="/cheating/charging-sites"' in reg
    assert 'name="org_id"' in reg
    assert english_words(visible_text(reg)) == []
    power = client.get("/cheating", headers=_h(auth_headers, "power")).text
    assert 'action="/cheating/stations"' not in power and 'action="/cheating/charging-sites"' not in power
    r = _post_station(client, _h(auth_headers, "institute"), _station())
    assert r.status_code == 403


def test_a_station_submits_its_files_and_the_result_shows_the_data_behind_it(client, auth_headers):
    h = _h(auth_headers, "fuel")
    before = _stored(client)
    r = _post_station(client, h, _station(), approved_software="")
    assert r.status_code == 303, r.text
    site_url = r.headers["location"]
    assert re.fullmatch(r"/cheating/sites/\d+\?analysis=\d+", site_url)
    assert _stored(client) == (before[0] + 1, before[1] + 3, before[2] + 1)
    page = client.get(site_url, headers=h).text
    assert "核查所依据的数据" in page and "fuel" in page and "油枪累计数文件" in page
    assert english_words(visible_text(page)) == []
    links = re.findall(r'href="(/cheating/files/\d+\.csv)"', page)
    assert len(links) == 3
    got = {client.get(u, headers=h).content for u in links}
    assert got == set(_station().values())  # as received, byte for byte
    # the same files again: the first analysis, nothing new stored
    again = _post_station(client, h, _station())
    assert again.status_code == 303 and again.headers["location"] == site_url
    assert _stored(client)[0] == before[0] + 1
    # run again on the kept data: a new analysis of the same submission
    action = re.search(r'action="(/cheating/sites/\d+/analyses/\d+/rerun)"', page)
    assert action
    rerun = client.post(action.group(1), headers=h, data={"csrf_token": csrf(client, "/cheating")},
                        follow_redirects=False)  # fmt: skip
    assert rerun.status_code == 303 and rerun.headers["location"] != site_url
    assert _stored(client) == (before[0] + 1, before[1] + 3, before[2] + 2)
    history = client.get(rerun.headers["location"], headers=h).text
    assert "本站点的历次核查" in history
    older = client.get(site_url, headers=h).text
    assert "较早的一次核查结果" in older and english_words(visible_text(older)) == []
    # another station's user sees neither the files nor the button's target
    other = _h(auth_headers, "regulator")
    assert client.get(links[0], headers=other).status_code == 200
    assert client.get(links[0], headers=_h(auth_headers, "power")).status_code == 404
    assert client.post(action.group(1), headers=_h(auth_headers, "power"),
                       data={"csrf_token": csrf(client, "/cheating")}).status_code == 404  # fmt: skip


def test_the_regulator_submits_a_charging_site_for_an_operator(client, auth_headers):
    h = _h(auth_headers, "regulator")
    page = client.get("/cheating", headers=h).text
    form = page.split('action="/cheating/charging-sites"', 1)[1]
    org = re.search(r'<option value="(\d+)"', form)
    assert org
    files = _charging()
    r = client.post(
        "/cheating/charging-sites",
        headers=h,
        data={
            "csrf_token": csrf(client, "/cheating"),
            "code": "EVWEB",
            "name": "网上充电站",
            "org_id": org.group(1),
            "accuracy_class": "1",
        },
        files={k: (f"{k}.csv", v, "text/csv") for k, v in files.items()},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    text = client.get(r.headers["location"], headers=h).text
    assert "电能表示数文件" in text and "充电记录文件" in text


def _bad_station(kind: str) -> dict[str, bytes]:
    files = dict(_station())
    if kind == "not_utf8":
        files["tank"] = b"ts,tank_id\n\xff\xfe\x00bad"
    elif kind == "columns":
        files["tank"] = b"when,where\n1,2\n"
    elif kind == "nul":
        files["totalisers"] = files["totalisers"][:40] + b"\x00" + files["totalisers"][40:]
    elif kind == "formula":  # a spreadsheet formula where an identifier belongs
        lines = files["totalisers"].split(b"\n")
        cells = lines[1].split(b",")
        cells[1] = b'=HYPERLINK("http://x")'
        files["totalisers"] = b"\n".join([lines[0], b",".join(cells), *lines[2:]])
    elif kind == "empty":
        files["events"] = b""
    elif kind == "no_tank":
        del files["tank"]
    elif kind == "header_only":
        files["tank"] = b"ts,tank_id,volume_l,temperature_c,delivery_l\n"
    return files


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("not_utf8", "不是 UTF-8"),
        ("columns", "表头"),
        ("nul", "空字符"),
        ("formula", "不是有效编号"),
        ("empty", "是空的"),
        ("no_tank", "请选择液位仪文件"),
        ("header_only", "是空的"),
    ],
)
def test_a_bad_station_file_is_refused_in_the_page_and_nothing_is_stored(client, auth_headers, kind, words):
    h = _h(auth_headers, "fuel")
    before = _stored(client)
    r = _post_station(client, h, _bad_station(kind), code=f"BAD-{kind}")
    assert r.status_code in (413, 422), r.text
    assert 'role="alert"' in r.text and words in r.text and "未保存任何内容" in r.text
    assert 'action="/cheating/stations"' in r.text  # the form is there to try again
    assert f'value="BAD-{kind}"' in r.text  # what was typed is kept
    assert english_words(visible_text(r.text)) == [], kind
    assert _stored(client) == before
    assert f"BAD-{kind}" not in client.get("/cheating", headers=h).text  # no site was made


def test_an_oversized_file_is_refused_before_it_is_read_whole(client, auth_headers, monkeypatch):
    monkeypatch.setattr("jiliang.web.cheating.MAX_BYTES", 1000)
    before = _stored(client)
    r = _post_station(client, _h(auth_headers, "fuel"), _station(), code="BIG")
    assert r.status_code == 413 and "超过" in r.text and "MB" in r.text
    assert _stored(client) == before


def test_refusals_speak_english_on_the_english_page(client, auth_headers):
    r = _post_station(client, _h(auth_headers, "fuel"), _bad_station("columns"), lang="?lang=en")
    assert r.status_code == 422 and "the header does not have the required columns" in r.text
    assert "Nothing was stored" in r.text


def test_the_regulator_must_name_an_operator_of_the_right_kind(client, auth_headers):
    h = _h(auth_headers, "regulator")
    before = _stored(client)
    r = _post_station(client, h, _station(), code="NOORG")
    assert r.status_code == 422 and "请选择站点所属的单位" in r.text
    from sqlalchemy import select

    from jiliang.platform.models import Organization

    with client.app.state.db.sessionmaker() as s:
        market = s.scalar(select(Organization.id).where(Organization.kind == "market").limit(1))
    if market is not None:
        wrong = _post_station(client, h, _station(), code="WRONG", org_id=str(market))
        assert wrong.status_code == 403 and "不是这类站点的经营单位" in wrong.text
    bad = _post_station(client, h, _station(), code="BADORG", org_id="1 OR 1=1")
    assert bad.status_code == 422
    assert _stored(client) == before


def test_a_form_without_its_security_token_changes_nothing(client, seeded):
    r = client.post(
        "/login",
        data={"username": "fuel", "password": "jiliang-demo", "next": "/", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    before = _stored(client)
    r = client.post(
        "/cheating/stations",
        headers=HTML,
        data={"code": "NOCSRF", "name": "x"},
        files={k: (f"{k}.csv", v, "text/csv") for k, v in _station().items()},
    )
    assert r.status_code == 403 and "安全令牌" in r.text
    assert _stored(client) == before


def test_an_analysis_made_before_data_were_kept_cannot_be_run_again(client, auth_headers):
    from sqlalchemy import select, update

    from jiliang.meters.cheatmodels import CheatAnalysis

    h = _h(auth_headers, "fuel")
    r = _post_station(client, h, _station(), code="OLD1")
    site_id, an_id = map(int, re.findall(r"\d+", r.headers["location"]))
    with client.app.state.db.session(actor="test") as s:
        s.execute(update(CheatAnalysis).where(CheatAnalysis.id == an_id).values(submission_id=None))
        assert s.scalar(select(CheatAnalysis.submission_id).where(CheatAnalysis.id == an_id)) is None
    page = client.get(f"/cheating/sites/{site_id}?analysis={an_id}", headers=h).text
    assert "原始文件未保存" in page and "/rerun" not in page
    before = _stored(client)
    again = client.post(f"/cheating/sites/{site_id}/analyses/{an_id}/rerun", headers=h,
                        data={"csrf_token": csrf(client, "/cheating")})  # fmt: skip
    assert again.status_code == 409 and "没有可重新核查的数据" in again.text
    assert _stored(client) == before
    assert client.get(f"/cheating/sites/{site_id}?analysis=999999", headers=h).status_code == 404


def test_a_body_past_the_server_limit_is_refused_with_a_console_page(client, auth_headers):
    limit = client.app.state.settings.max_body_bytes
    before = _stored(client)
    big = {"totalisers": b"x" * (limit + 1), "tank": _station()["tank"]}
    r = _post_station(client, _h(auth_headers, "fuel"), big, code="HUGE")
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "内容过大" in r.text and "<nav" in r.text  # inside the console's layout
    assert english_words(visible_text(r.text)) == [] and '{"' not in visible_text(r.text)
    assert _stored(client) == before
