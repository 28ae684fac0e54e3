"""The calculator's table of inputs: it builds the same model as the model file, and explains bad rows."""

from __future__ import annotations

import html
import re

from tests.conftest import csrf

HTML = {"Accept": "text/html"}


def _table_of(page: str) -> dict[str, str]:
    """The table form's fields as the page fills them in (from the model in the editor)."""
    form = page.split('id="table-form"', 1)[1].split("</form>", 1)[0]
    fields = {m[0]: html.unescape(m[1]) for m in re.findall(r'<input name="(\w+)" value="([^"]*)"', form)}
    for name, body in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        fields[name] = re.search(r'<option value="(\w+)" selected>', body).group(1)
    return fields


def _gum_row(page: str) -> str:
    return re.search(r'<th scope="row">GUM</th>(.*?)</tr>', page.split('id="result"', 1)[1], re.S).group(1)


def test_the_table_runs_the_same_model_as_the_model_file(client):
    page = client.get("/uncertainty", headers=HTML).text
    fields = _table_of(page)
    assert fields["out_name"] == "dm" and fields["in0_name"] == "m_Rc" and fields["in0_dist"] == "normal"
    assert fields["in0_params"] == "mean=100000 sd=0.05" and fields["in2_dist"] == "uniform"
    token = csrf(client, "/uncertainty")
    from jiliang.web.uncertainty import DEFAULT_MODEL

    by_file = client.post(
        "/uncertainty", data={"source": DEFAULT_MODEL, "action": "run", "csrf_token": token}, headers=HTML
    )
    by_table = client.post("/uncertainty/table", data={**fields, "csrf_token": token}, headers=HTML)
    assert by_table.status_code == 200, by_table.text[-800:]
    # GUM y, u, dof, k, U and the interval agree with the model file's (same inputs, same equation)
    assert _gum_row(by_table.text) == _gum_row(by_file.text)
    # the editor now holds the model file made from the table, to edit further or save
    editor = html.unescape(
        re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', by_table.text, re.S).group(1)
    )
    assert "m_Rc:" in editor and "dist: normal" in editor and "m_nom: 100000" in editor


def test_bad_rows_are_explained_in_the_page(client):
    token = csrf(client, "/uncertainty")
    base = {"out_name": "y", "out_expr": "a + b", "in0_name": "a", "in0_dist": "normal", "csrf_token": token}
    r = client.post("/uncertainty/table", data={**base, "in0_params": "mean=abc sd=1"}, headers=HTML)
    assert (
        r.status_code == 422
        and 'role="alert"' in r.text
        and '<details class="card unc-table" open>' in r.text
    )
    assert 'value="mean=abc sd=1"' in r.text  # what was typed is kept
    r = client.post(
        "/uncertainty/table", data={**base, "in0_params": "mean=1 sd=0.1", "lang": "en"}, headers=HTML
    )
    assert r.status_code in (400, 422) and 'role="alert"' in r.text  # b is not an input
    r = client.post("/uncertainty/table", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 422 and 'role="alert"' in r.text
    good = {
        **base,
        "in0_params": "mean=1 sd=0.1",
        "in1_name": "b",
        "in1_dist": "uniform",
        "in1_params": "low=0 high=1",
    }
    r = client.post("/uncertainty/table", data=good, headers=HTML)
    assert r.status_code == 200 and 'id="result"' in r.text
