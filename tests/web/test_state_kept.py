"""What is on screen is what is exported, and switching language keeps the page's state."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

HTML = {"Accept": "text/html"}

pytestmark = pytest.mark.usefixtures("csrf_forms")


def _export_links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/api/registry/export\?[^"]+)"', text)]


def test_export_holds_the_rows_the_filtered_list_shows(client, auth_headers):
    h = {**auth_headers("regulator"), **HTML}
    listing = client.get("/registry?status=overdue&district_id=1", headers=h)
    assert listing.status_code == 200
    shown = int(re.search(r"共 (\d+) 条", listing.text).group(1))
    links = _export_links(listing.text)
    assert len(links) == 2 and all("status=overdue" in u and "district_id=1" in u for u in links)
    csv_link = next(u for u in links if "format=csv" in u)
    exported = client.get(csv_link, headers=auth_headers("regulator"))
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) - 1 == shown
    everything = client.get("/api/registry/export?format=csv", headers=auth_headers("regulator"))
    assert len(everything.content.decode("utf-8-sig").splitlines()) - 1 > shown


def test_a_bad_filter_value_is_ignored_alike_by_the_list_and_its_export(client, auth_headers):
    h = {**auth_headers("regulator"), **HTML}
    listing = client.get("/registry?type_id=abc&q=", headers=h)
    assert listing.status_code == 200
    for link in _export_links(listing.text):
        assert (
            "type_id" not in link and client.get(link, headers=auth_headers("regulator")).status_code == 200
        )


def test_the_language_switch_keeps_the_query_string(client, auth_headers):
    h = {**auth_headers("regulator"), **HTML}
    page = client.get("/registry?status=overdue&district_id=2&page=2", headers=h)
    switch = html.unescape(re.search(r'<a class="lang" href="([^"]+)"', page.text).group(1))
    assert switch == "?status=overdue&district_id=2&page=2&lang=en"
    again = client.get("/registry" + switch, headers=h)
    back = html.unescape(re.search(r'<a class="lang" href="([^"]+)"', again.text).group(1))
    assert back == "?status=overdue&district_id=2&page=2&lang=zh"


def test_the_language_switch_keeps_a_calculated_result(client, seeded):
    from jiliang.web.uncertainty import DEFAULT_MODEL

    r = client.post("/uncertainty", data={"source": DEFAULT_MODEL, "action": "run"}, headers=HTML)
    switch = re.search(
        r'<form method="post" action="/uncertainty\?lang=en" class="inline">(.*?)</form>', r.text, re.S
    )
    assert switch, "the switch re-submits the model"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', switch.group(1)))
    assert html.unescape(fields["source"]) == DEFAULT_MODEL
    english = client.post(
        "/uncertainty?lang=en",
        data={"source": html.unescape(fields["source"]), "action": "run"},
        headers=HTML,
    )
    assert (
        english.status_code == 200 and "Result" in english.text and "<strong>0.11 mg</strong>" in english.text
    )
