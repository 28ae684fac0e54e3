"""Every console page, as every demo role, speaks one language.

The walk visits every GET route of the console's routers (with representative ids taken from the
small demo city) as the anonymous public and as each demo user, in Chinese and in English, plus
the calculator's result page. In Chinese, visible text may hold no English word outside an
allow-list (units, symbols, standard and document numbers, D-SI tokens, the brand) and no raw
JSON; in English, no Chinese characters outside the names of the demo organisations and places.
Identifiers that hold a digit (serials, meter ids, certificate numbers) are data, not words.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import data_folder

ROLES = ("anonymous", "regulator", "institute", "lab", "power", "fuel", "market")

# Words a Chinese page may show: units and symbols, standards and formats, names.
ALLOWED_WORDS = {
    # units (SI and in common use) and their D-SI spellings
    "mg",
    "g",
    "kg",
    "t",
    "m",
    "mm",
    "nm",
    "cm",
    "km",
    "s",
    "min",
    "h",
    "d",
    "Hz",
    "kHz",
    "MHz",
    "V",
    "kV",
    "A",
    "mA",
    "W",
    "kW",
    "MW",
    "kWh",
    "Wh",
    "var",
    "kvar",
    "kvarh",
    "Pa",
    "kPa",
    "MPa",
    "J",
    "kJ",
    "N",
    "K",
    "L",
    "mL",
    "ppm",
    "dB",
    "lx",
    "cd",
    "mol",
    "rad",
    "sr",
    "m3",
    "kWh/d",
    "UTC",
    "w",
    "Gy",
    "pH",
    "mg/mL",
    "mol/mol",
    "LEL",
    "GJ",
    "mV",
    "mW",
    "kg/m3",
    "mg/m3",
    "km/h",
    "L/min",
    "kilo",
    "milli",
    "micro",
    "metre",
    "gram",
    "second",
    "kelvin",
    "volt",
    "ampere",
    "watt",
    "pascal",
    "percent",
    "hertz",
    "litre",
    "newton",
    "joule",
    "one",
    # symbols of the GUM and of charts
    "u",
    "k",
    "U",
    "y",
    "x",
    "c",
    "i",
    "eff",
    "low",
    "high",
    "p",
    "z",
    # standards, documents, formats, organisations known by their letters
    "JJG",
    "JJF",
    "GB",
    "GB/T",
    "ISO",
    "IEC",
    "OIML",
    "GUM",
    "IPCC",
    "MWh",
    "JCGM",
    "ILAC",
    "PTB",
    "NIST",
    "DCC",
    "SI",
    "D-SI",
    "XML",
    "PDF",
    "CSV",
    "HTML",
    "QR",
    "SHA-256",
    "SHA",
    "API",
    "YAML",
    "JSON",
    "Excel",
    "Word",
    "XAdES",
    "GBW",
    "ECDSA",
    "SM2",
    "CNAS",
    "CMC",
    "CRM",
    "BIPM",
    "NIM",
    "IC",
    # the brand, the demo accounts (user names and password shown on the login page)
    "Jiliang",
    "jiliang-demo",
    *ROLES[1:],
}
# Monte Carlo is named as such in Chinese texts too ("蒙特卡洛 (MC)").
ALLOWED_WORDS |= {"MC", "MCM"}

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-./']*")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
RAW_JSON = re.compile(r"""\{\s*["']""")
# not shown on the page: scripts, styles, templates and the tooltips of drawings (svg <title>)
HIDDEN = re.compile(r"<(script|style|template|title)\b.*?</\1>", re.S | re.I)
# the language switch names the other language in that language (class="lang")
SWITCH = re.compile(r"<(a|button)\b[^>]*\bclass=\"lang\"[^>]*>.*?</\1>", re.S)
# identifiers, commands and the user's own model source are marked translate="no"
NOTRANSLATE = re.compile(r"<(\w+)\b[^>]*\btranslate=\"no\"[^>]*>.*?</\1>", re.S)
TAG = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    """The text a person reads: scripts, styles and tags removed, entities decoded."""
    body = page.split("<body", 1)[-1]
    return html.unescape(TAG.sub(" ", NOTRANSLATE.sub(" ", SWITCH.sub(" ", HIDDEN.sub(" ", body)))))


def english_words(text: str) -> list[str]:
    found = []
    for token in WORD.findall(text):
        word = token.rstrip(".-/'")
        if not word or any(ch.isdigit() for ch in word) or word in ALLOWED_WORDS:
            continue
        if word.upper() == word and len(word) <= 2:  # a class, grade or axis letter: "II", "S"
            continue
        found.append(word)
    return found


# local regulations carry their province in their number: JJF(冀)174-2020, JJF(滇)21-2022
LOCAL_NUMBER = re.compile(r"JJ[FG]\([\u4e00-\u9fff]\)")


def chinese_outside(text: str, names: list[str]) -> list[str]:
    text = LOCAL_NUMBER.sub(" ", text)
    return [run for run in CJK.findall(text) if not any(run in name for name in names)]


@pytest.fixture(scope="module")
def walk(
    _seeded_template: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """One app on a copy of the demo city, a token per demo user, the pages to visit."""
    from fastapi.testclient import TestClient

    from jiliang.app import create_app
    from jiliang.platform.settings import Settings

    data = data_folder(tmp_path_factory.mktemp("language"), _seeded_template[0])
    app = create_app(Settings(data_dir=data, secret_key="test-secret-key-0123456789", login_attempts=50))
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {"anonymous": {}}
        for user in ROLES[1:]:
            r = client.post("/api/auth/login", json={"username": user, "password": "jiliang-demo"})
            assert r.status_code == 200, r.text
            tokens[user] = {"Authorization": f"Bearer {r.json()['token']}"}
        with app.state.db.sessionmaker() as session:
            yield {
                "client": client,
                "tokens": tokens,
                "pages": _pages(app, session),
                "names": _names(session),
            }
    app.state.db.dispose()


def _ids(session: Any) -> dict[str, list[str]]:
    """Representative ids: items with work orders, broken chains, flagged meters, certificates."""
    from sqlalchemy import func, select

    from jiliang.comparisons.models import ComparisonRound
    from jiliang.dcc.models import DccCertificate
    from jiliang.energy.models import EnergyReview, EnergyUnit
    from jiliang.indicators.models import IndicatorReport
    from jiliang.meters.lotmodels import MeterLot
    from jiliang.meters.models import MeterAreaResult, MeterEstimationRun, MeterResult
    from jiliang.registry.models import Instrument, MeasurementStandard, Verification, WorkOrder
    from jiliang.supervision.models import InspectionPlan, InspectionTask, NetContentInspection
    from jiliang.verification.models import Booking

    run = session.scalar(select(func.min(MeterEstimationRun.id)))
    flagged_area = session.scalar(
        select(MeterResult.area_id).where(MeterResult.run_id == run, MeterResult.status != "ok").limit(1)
    )
    any_area = session.scalar(select(MeterAreaResult.area_id).where(MeterAreaResult.run_id == run).limit(1))
    instruments = [
        session.scalar(select(func.min(WorkOrder.instrument_id))),
        session.scalar(select(func.min(Verification.instrument_id))),
        session.scalar(select(func.min(Instrument.id))),
    ]
    standards = list(session.scalars(select(MeasurementStandard.id).order_by(MeasurementStandard.id)))
    return {
        "run_id": [str(run)],
        "area_id": [a for a in dict.fromkeys([flagged_area, any_area]) if a],
        "instrument_id": [str(i) for i in dict.fromkeys(instruments) if i],
        "standard_id": [str(s) for s in standards[::5] + standards[-3:]],  # every level, broken chains
        "number": [session.scalar(select(DccCertificate.number).limit(1)) or "NO-SUCH-1"],
        "booking_id": [str(b) for b in session.scalars(select(Booking.id).order_by(Booking.id))],
        "round_id": [
            str(r) for r in session.scalars(select(ComparisonRound.id).order_by(ComparisonRound.id))
        ],
        "unit_id": [str(u) for u in session.scalars(select(EnergyUnit.id).order_by(EnergyUnit.id))],
        "review_id": [str(r) for r in session.scalars(select(EnergyReview.id).order_by(EnergyReview.id))],
        "plan_id": [str(p) for p in session.scalars(select(InspectionPlan.id).order_by(InspectionPlan.id))],
        "task_id": [str(session.scalar(select(func.min(InspectionTask.id))))],
        "nc_id": [
            str(i) for i in session.scalars(select(NetContentInspection.id).order_by(NetContentInspection.id))
        ],
        # computed, manual and source-less indicators, and a rate from net-content verdicts; the demo's drafted report
        "code": ["chz.coverage", "gz.platforms", "chz.traceability_demand", "jy.net_content"],
        "report_id": [
            str(r) for r in session.scalars(select(IndicatorReport.id).order_by(IndicatorReport.id))
        ],
        "lot_id": [str(i) for i in session.scalars(select(MeterLot.id).order_by(MeterLot.id))],
        **_cheating_ids(session),
    }


def _cheating_ids(session: Any) -> dict[str, list[str]]:
    """A fuel station and a charging site, and a nozzle of the flagged station."""
    from sqlalchemy import func, select

    from jiliang.meters.cheatmodels import CheatAnalysis, CheatSite

    sites = [
        session.scalar(select(func.min(CheatSite.id)).where(CheatSite.kind == kind))
        for kind in ("fuel_station", "charging_site")
    ]
    flagged = session.scalars(
        select(CheatAnalysis).where(CheatAnalysis.flagged).order_by(CheatAnalysis.id)
    ).first()
    nozzles = [n["nozzle_id"] for n in (flagged.result.get("nozzles", []) if flagged else [])][:1]
    return {"site_id": [str(s) for s in sites if s], "nozzle_id": nozzles or ["N1"]}


def _pages(app: Any, session: Any) -> list[str]:
    """Every GET route of the console with its parameters filled in."""
    from jiliang.app import delivery_modules

    ids = _ids(session)
    paths: list[str] = []
    for module in delivery_modules("jiliang.web"):
        for route in module.router.routes:
            if "GET" not in getattr(route, "methods", ()) or route.path.endswith(".csv"):
                continue
            filled = [route.path]
            for name in re.findall(r"\{(\w+)\}", route.path):
                filled = [p.replace("{" + name + "}", v) for p in filled for v in ids[name]]
            paths.extend(filled)
    extra = ["/registry?status=overdue", "/registry/due?within=90", "/registry/reference-materials?q=a"]
    extra.append("/sampling?lot_size=2000&aql=1.0&d=4")
    extra += ["/public/meter-lots?meter_no=" + m for m in _published_meter(session)]
    return sorted(set(paths)) + extra


def _published_meter(session: Any) -> list[str]:
    """A meter of a published lot (the public lookup with a result)."""
    from sqlalchemy import select

    from jiliang.meters.lotmodels import MeterLot, MeterLotMember

    q = (
        select(MeterLotMember.meter_no)
        .join(MeterLot, MeterLot.id == MeterLotMember.lot_id)
        .where(MeterLot.status == "published")
        .limit(1)
    )
    return list(session.scalars(q))


def _names(session: Any) -> list[str]:
    """Names of the demo city's organisations, places, people and free-text register entries."""
    from sqlalchemy import select

    from jiliang.comparisons.models import ComparisonRound
    from jiliang.energy.models import EnergyFinding, EnergyMeter, EnergyReview
    from jiliang.meters.lotmodels import MeterLot
    from jiliang.platform.models import District, Organization, User
    from jiliang.registry.models import Instrument, InstrumentType, MeasurementStandard, ReferenceMaterial
    from jiliang.supervision.models import DrawRow, InspectionPlan, IntegrityCommitment, NetContentInspection
    from jiliang.verification.models import Booking

    names: list[str] = []
    for column in (
        Organization.name,
        Organization.address,
        District.name,
        User.display_name,
        Instrument.location,
        Instrument.manufacturer,
        Instrument.model,
        Instrument.measuring_range,
        MeasurementStandard.name,
        MeasurementStandard.approval_no,
        InstrumentType.regulation,
        ReferenceMaterial.producer,
        # what people typed: the measurand of a comparison, the title of an inspection plan, the
        # reason a draw was discarded, the words of an integrity commitment, reasons and notes on
        # bookings
        ComparisonRound.measurand,
        InspectionPlan.title,
        DrawRow.discard_reason,
        IntegrityCommitment.text,
        Booking.reason,
        Booking.note,
        Booking.contact,
        NetContentInspection.product,
        MeterLot.maker,
        # a unit's metering points, and the findings and conclusion of an energy review
        EnergyMeter.point,
        EnergyFinding.text,
        EnergyFinding.clause,
        EnergyReview.conclusion,
    ):
        names.extend(v for v in session.scalars(select(column).distinct()) if v)
    return names


def _problems(text: str, lang: str, names: list[str]) -> list[str]:
    problems = [f"raw JSON near {m.group(0)!r}" for m in RAW_JSON.finditer(text)]
    if lang == "zh":
        problems += sorted({f"English: {w}" for w in english_words(text)})
    else:
        problems += sorted({f"Chinese: {w}" for w in chinese_outside(text, names)})
    return problems


# Pages owned elsewhere that still fail: kept visible here until they are fixed.
KNOWN: dict[tuple[str, str], str] = {}


def _walk_one(walk: dict[str, Any], path: str, lang: str) -> list[str]:
    client, problems = walk["client"], []
    sep = "&" if "?" in path else "?"
    for role in ROLES:
        r = client.get(
            f"{path}{sep}lang={lang}",
            headers={**walk["tokens"][role], "Accept": "text/html"},
            follow_redirects=False,
        )
        if r.status_code in (301, 302, 303, 307):
            continue
        if not r.headers.get("content-type", "").startswith("text/html"):
            problems.append(f"{role}: not a page ({r.status_code})")
            continue
        problems += [
            f"{role} {r.status_code}: {p}" for p in _problems(visible_text(r.text), lang, walk["names"])
        ]
    return problems


def _page_ids() -> list[str]:
    return [
        "/",
        "/login",
        "/verify",
        "/verify/{number}",
        "/certificates",
        "/audit",
        "/uncertainty",
        "/meters",
        "/meters/runs/{run_id}",
        "/meters/runs/{run_id}/areas/{area_id}",
        "/meters/lots",
        "/meters/lots/{lot_id}",
        "/public/meter-lots",
        "/registry",
        "/registry/instruments/{instrument_id}",
        "/registry/instruments/{instrument_id}/edit",
        "/registry/new",
        "/registry/standards",
        "/registry/standards/{standard_id}",
        "/registry/reference-materials",
        "/registry/organizations",
        "/registry/due",
        "/registry/import",
        "/registry/coverage",
        "/organization",
        "/organization/requests",
        "/comparisons",
        "/comparisons/{round_id}",
        "/inspections",
        "/inspections/plans/{plan_id}",
        "/inspections/tasks/{task_id}",
        "/public/inspections",
        "/public/inspections/{plan_id}",
        "/netcontent",
        "/netcontent/{nc_id}",
        "/public/netcontent",
        "/verification",
        "/verification/bookings",
        "/verification/bookings/new",
        "/verification/bookings/{booking_id}",
        "/verification/bookings/{booking_id}/result",
        "/verification/work-orders",
        "/verification/flow",
        "/sampling",
        "/indicators",
        "/indicators/values/{code}",
        "/indicators/reports/{report_id}",
        "/public/indicators",
        "/public/indicators/reports/{report_id}",
        "/cheating",
        "/cheating/sites/{site_id}",
        "/cheating/sites/{site_id}/nozzles/{nozzle_id}",
        "/cheating/keysites",
        "/energy",
        "/energy/units/{unit_id}",
        "/energy/reviews/{review_id}",
        "/carbon",
    ]


def test_the_walk_covers_every_console_get_route(walk):
    from jiliang.app import delivery_modules

    routes = {
        r.path
        for m in delivery_modules("jiliang.web")
        for r in m.router.routes
        if "GET" in getattr(r, "methods", ()) and not r.path.endswith(".csv")
    }
    assert routes <= set(_page_ids()), sorted(routes - set(_page_ids()))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("route", _page_ids())
def test_page_speaks_one_language(walk, route, lang, request):
    if (route, lang) in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=f"{route}: {KNOWN[route, lang]}", strict=False))
    pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/?]+", re.escape(route)) + r"(\?.*)?$")
    paths = [p for p in walk["pages"] if pattern.match(p)]
    assert paths, route
    problems = [f"{p}: {x}" for p in paths for x in _walk_one(walk, p, lang)]
    assert problems == [], "\n".join(dict.fromkeys(problems))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_calculator_result_speaks_one_language(walk, lang):
    from jiliang.web.uncertainty import DEFAULT_MODEL
    from tests.conftest import csrf

    r = walk["client"].post(
        f"/uncertainty?lang={lang}",
        data={"source": DEFAULT_MODEL, "action": "run", "csrf_token": csrf(walk["client"])},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 200
    text = visible_text(r.text)
    # the model's own source (in the editor) is the user's text, not the page's
    text = text.replace(html.unescape(DEFAULT_MODEL), " ")
    assert _problems(text, lang, walk["names"]) == []


def test_the_checker_finds_english_json_and_chinese():
    assert english_words(visible_text("<p>状态 ok，<b>field check</b> 10 kWh JJG 596-2012 A01-M003</p>")) == [
        "ok",
        "field",
        "check",
    ]
    assert RAW_JSON.search(visible_text("<td>{&#34;share_pct&#34;: 3}</td>"))
    assert chinese_outside(visible_text("<p>Owner: 滨江 加油站</p>"), ["滨江市某加油站"]) == []
    assert chinese_outside("状态", []) == ["状态"]
    assert english_words(visible_text("<script>var ok = 1</script><style>.x{}</style>正常")) == []
