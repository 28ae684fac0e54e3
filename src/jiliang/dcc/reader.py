"""Read DCC 3.0 – 3.3 XML into the :mod:`jiliang.dcc.model` dataclasses.

Both the D-SI 2.2 names (``si:measurementUncertaintyUnivariate/si:expandedMU``) and the deprecated
D-SI 2.0/2.1 names (``si:expandedUnc``) are read into :class:`~jiliang.dcc.model.ExpandedMU`.
Parts of a file outside the model (formulae, embedded files, ``si:list``, ``si:complex`` …) are
skipped here; :func:`jiliang.dcc.migrate.migrate` keeps them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jiliang.dcc.errors import DccError
from jiliang.dcc.model import (
    Certificate,
    Contact,
    CoreData,
    Equipment,
    EquipmentCertificate,
    ExpandedMU,
    ExpandedMUList,
    Hybrid,
    Identification,
    InfluenceCondition,
    Item,
    Laboratory,
    Limit,
    Location,
    MeasurementResult,
    Method,
    Quantity,
    Real,
    RealList,
    RespPerson,
    Result,
    Software,
    Statement,
    Text,
)
from jiliang.dcc.writer import DCC_NS, SI_NS
from jiliang.dcc.xmlsafe import MAX_XML_BYTES, content_root, parse_xml

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["READ_VERSIONS", "from_tree", "from_xml"]

READ_VERSIONS = ("3.0.0", "3.1.0", "3.1.1", "3.1.2", "3.2.0", "3.2.1", "3.3.0")
_D = "{" + DCC_NS + "}"
_S = "{" + SI_NS + "}"


def _c(el: Any, name: str) -> Any:
    return None if el is None else el.find(_D + name)


def _cs(el: Any, name: str) -> list[Any]:
    return [] if el is None else el.findall(_D + name)


def _t(el: Any, name: str) -> str | None:
    child = _c(el, name)
    if child is None or child.text is None or not child.text.strip():
        return None
    return str(child.text.strip())


def _si(el: Any, name: str) -> str | None:
    child = None if el is None else el.find(_S + name)
    if child is None or child.text is None:
        return None
    return str(child.text.strip())


def _text(el: Any) -> Text | None:
    if el is None:
        return None
    pairs = tuple(
        (c.get("lang") or "", c.text.strip()) for c in el.findall(_D + "content") if c.text and c.text.strip()
    )
    return Text(pairs) if pairs else None


def _date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise DccError(f"{what} {value!r} is not a date") from None


def _bool(value: str | None) -> bool | None:
    return None if value is None else value in ("true", "1")


def _decs(text: str | None) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in (text or "").split())


def _idents(el: Any) -> tuple[Identification, ...]:
    out = []
    for i in _cs(_c(el, "identifications"), "identification"):
        issuer, value = _t(i, "issuer"), _t(i, "value")
        if issuer and value:
            out.append(Identification(issuer, value, _text(_c(i, "name"))))
    return tuple(out)


def _location(el: Any) -> Location:
    if el is None:
        return Location(further=Text.plain("unknown"))
    return Location(
        city=_t(el, "city"),
        country_code=_t(el, "countryCode"),
        post_code=_t(el, "postCode"),
        street=_t(el, "street"),
        street_no=_t(el, "streetNo"),
        state=_t(el, "state"),
        further=_text(_c(el, "further")),
    )


def _contact(el: Any) -> Contact:
    name = _text(_c(el, "name"))
    if name is None:
        raise DccError("a contact has no name")
    return Contact(
        name=name, location=_location(_c(el, "location")), email=_t(el, "eMail"), phone=_t(el, "phone")
    )


def _mu(real: Any) -> ExpandedMU | None:
    mu = real.find(f"{_S}measurementUncertaintyUnivariate/{_S}expandedMU")
    if mu is not None:
        return ExpandedMU(
            Decimal(_si(mu, "valueExpandedMU") or "0"),
            Decimal(_si(mu, "coverageFactor") or "1"),
            Decimal(_si(mu, "coverageProbability") or "0"),
            _si(mu, "distribution"),
        )
    old = real.find(_S + "expandedUnc")
    if old is not None:
        return ExpandedMU(
            Decimal(_si(old, "uncertainty") or "0"),
            Decimal(_si(old, "coverageFactor") or "1"),
            Decimal(_si(old, "coverageProbability") or "0"),
            _si(old, "distribution"),
        )
    return None


def _mu_list(rl: Any) -> ExpandedMUList | None:
    mu = rl.find(f"{_S}measurementUncertaintyUnivariateXMLList/{_S}expandedMUXMLList")
    if mu is not None:
        return ExpandedMUList(
            _decs(_si(mu, "valueExpandedMUXMLList")),
            _decs(_si(mu, "coverageFactorXMLList")),
            _decs(_si(mu, "coverageProbabilityXMLList")),
        )
    old = rl.find(_S + "expandedUncXMLList")
    if old is not None:
        return ExpandedMUList(
            _decs(_si(old, "uncertaintyXMLList")),
            _decs(_si(old, "coverageFactorXMLList")),
            _decs(_si(old, "coverageProbabilityXMLList")),
        )
    return None


def _real(el: Any) -> Real:
    return Real(Decimal(_si(el, "value") or "nan"), _si(el, "unit") or "", _mu(el), _si(el, "label"))


def _real_list(el: Any) -> RealList:
    return RealList(
        _decs(_si(el, "valueXMLList")),
        tuple((_si(el, "unitXMLList") or "").split()),
        _mu_list(el),
        _si(el, "labelXMLList"),
    )


def _limit_kind(ref_type: str | None) -> str:
    tail = (ref_type or "").lower()
    if tail.endswith(("lower", "min")):
        return "lower"
    if tail.endswith(("upper", "max")):
        return "upper"
    return "limit"


def _limits(data: Any) -> tuple[Limit, ...]:
    """The limits held in a statement's ``dcc:data``: each quantity with one real or one list."""
    out: list[Limit] = []
    for q in _cs(data, "quantity"):
        real, rl = q.find(_S + "real"), q.find(_S + "realListXMLList")
        if real is None and rl is None:
            hy = q.find(_S + "hybrid")  # a hybrid limit: its first member stands for it
            if hy is not None:
                real, rl = hy.find(_S + "real"), hy.find(_S + "realListXMLList")
        value: Real | RealList | None = (
            _real(real) if real is not None else _real_list(rl) if rl is not None else None
        )
        if value is not None:
            out.append(Limit(_limit_kind(q.get("refType")), value, _text(_c(q, "name")), q.get("refType")))
    return tuple(out)


def _statement(el: Any) -> Statement | None:
    conformity = _t(el, "conformity")
    per_point = tuple((_t(el, "conformityXMLList") or "").split())
    st_date = _date(_t(el, "date"), "statement date")
    norms = tuple(str(n.text.strip()) for n in _cs(el, "norm") if n.text and n.text.strip())
    name, decl, traceable = _text(_c(el, "name")), _text(_c(el, "declaration")), _bool(_t(el, "traceable"))
    limits = _limits(_c(el, "data")) if (conformity or per_point) else ()
    if not any(x is not None for x in (name, decl, traceable, conformity)) and not (norms or per_point):
        return None
    return Statement(
        declaration=decl,
        name=name,
        ref_type=el.get("refType"),
        traceable=traceable,
        norms=norms,
        conformity=conformity,
        decision_rule=_t(el, "convention"),
        date=st_date,
        conformity_list=per_point,
        limits=limits,
    )


def _quantity(el: Any, inherited: Text | None = None) -> Quantity | None:
    value: Real | RealList | Hybrid | None = None
    real, rl, hy = el.find(_S + "real"), el.find(_S + "realListXMLList"), el.find(_S + "hybrid")
    if real is not None:
        value = _real(real)
    elif rl is not None:
        value = _real_list(rl)
    elif hy is not None:
        members: list[Real | RealList] = [_real(r) for r in hy.findall(_S + "real")]
        if not members:
            members = [_real_list(r) for r in hy.findall(_S + "realListXMLList")]
        value = Hybrid(tuple(members)) if members else None
    if value is None:
        return None
    conf = None
    for md in _cs(_c(el, "measurementMetaData"), "metaData"):
        if _t(md, "conformity") is not None or _t(md, "conformityXMLList") is not None:
            conf = _statement(md)
            break
    return Quantity(
        value,
        _text(_c(el, "name")) or inherited,
        el.get("refType"),
        id=el.get("id"),
        ref_id=el.get("refId"),
        conformity=conf,
    )


def _quantities(container: Any, inherited: Text | None = None) -> list[Quantity]:
    """The quantities of a ``dcc:data`` or ``dcc:list``; a quantity without a name of its own is
    named by its nearest enclosing ``dcc:list`` that has one."""
    out: list[Quantity] = []
    if container is None:
        return out
    for child in container:
        if child.tag == _D + "quantity":
            q = _quantity(child, inherited)
            if q is not None:
                out.append(q)
        elif child.tag == _D + "list":
            out.extend(_quantities(child, _text(_c(child, "name")) or inherited))
    return out


def _measurement_result(el: Any) -> MeasurementResult | None:
    results = []
    for r in _cs(_c(el, "results"), "result"):
        data = _c(r, "data")
        qs = _quantities(data)
        if qs:
            as_list = data is not None and data.find(_D + "list") is not None
            results.append(
                Result(
                    _text(_c(r, "name")) or Text.plain("result"),
                    tuple(qs),
                    r.get("refType"),
                    r.get("id"),
                    as_list,
                )
            )
    if not results:
        return None
    methods = tuple(
        Method(
            name=_text(_c(m, "name")) or Text.plain("method"),
            norms=tuple(str(n.text.strip()) for n in _cs(m, "norm") if n.text and n.text.strip()),
            description=_text(_c(m, "description")),
            ref_type=m.get("refType"),
            id=m.get("id"),
        )
        for m in _cs(_c(el, "usedMethods"), "usedMethod")
    )
    equipment = []
    for e in _cs(_c(el, "measuringEquipments"), "measuringEquipment"):
        cert = _c(e, "certificate")
        ec = None
        if cert is not None and _t(cert, "referralID") and _t(cert, "value"):
            ec = EquipmentCertificate(
                referral=_text(_c(cert, "referral")) or Text.plain("unknown"),
                referral_id=_t(cert, "referralID") or "",
                procedure=_t(cert, "procedure") or "",
                value=_t(cert, "value") or "",
                traceable=_bool(_t(cert, "traceable")),
            )
        manu = _text(_c(_c(e, "manufacturer"), "name"))
        equipment.append(
            Equipment(
                name=_text(_c(e, "name")) or Text.plain("equipment"),
                certificate=ec,
                identifications=_idents(e),
                manufacturer=manu.get("en") if manu else None,
                model=_t(e, "model"),
                ref_type=e.get("refType"),
                id=e.get("id"),
            )
        )
    conditions = tuple(
        InfluenceCondition(
            name=_text(_c(ic, "name")) or Text.plain("condition"),
            quantities=tuple(_quantities(_c(ic, "data"))),
            description=_text(_c(ic, "description")),
            ref_type=ic.get("refType"),
            id=ic.get("id"),
        )
        for ic in _cs(_c(el, "influenceConditions"), "influenceCondition")
    )
    return MeasurementResult(
        name=_text(_c(el, "name")) or Text.plain("measurement"),
        results=tuple(results),
        methods=methods,
        equipment=tuple(equipment),
        influence_conditions=conditions,
        description=_text(_c(el, "description")),
    )


def from_tree(tree: etree._ElementTree | etree._Element) -> Certificate:
    """The model of a parsed certificate (any of :data:`READ_VERSIONS`).

    Comments and processing instructions never split or shorten a value (:func:`content_root`).
    """
    root = content_root(tree)
    if root.tag != _D + "digitalCalibrationCertificate":
        raise DccError(f"root element {root.tag!r} is not dcc:digitalCalibrationCertificate ({DCC_NS})")
    version = root.get("schemaVersion") or ""
    if version not in READ_VERSIONS:
        raise DccError(f"unknown schemaVersion {version!r}; readable: {', '.join(READ_VERSIONS)}")
    try:
        return _read(root, version)
    except DccError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise DccError(f"cannot read certificate: {exc}") from None


def _read(root: Any, version: str) -> Certificate:
    adm = _c(root, "administrativeData")
    if adm is None:
        raise DccError("dcc:administrativeData is missing")
    sw = _c(_c(adm, "dccSoftware"), "software")
    sw_name = _text(_c(sw, "name"))
    cd = _c(adm, "coreData")
    if cd is None:
        raise DccError("dcc:coreData is missing")
    begin = _date(_t(cd, "beginPerformanceDate"), "beginPerformanceDate")
    end = _date(_t(cd, "endPerformanceDate"), "endPerformanceDate")
    if begin is None or end is None:
        raise DccError("performance dates are missing")
    core = CoreData(
        unique_identifier=_t(cd, "uniqueIdentifier") or "",
        country_code=_t(cd, "countryCodeISO3166_1") or "",
        used_languages=tuple(str(e.text).strip() for e in _cs(cd, "usedLangCodeISO639_1") if e.text),
        mandatory_languages=tuple(
            str(e.text).strip() for e in _cs(cd, "mandatoryLangCodeISO639_1") if e.text
        ),
        begin_performance_date=begin,
        end_performance_date=end,
        performance_location=_t(cd, "performanceLocation") or "laboratory",
        receipt_date=_date(_t(cd, "receiptDate"), "receiptDate"),
        issue_date=_date(_t(cd, "issueDate"), "issueDate"),
        identifications=_idents(cd),
    )
    items = []
    for it in _cs(_c(adm, "items"), "item"):
        manu = _text(_c(_c(it, "manufacturer"), "name"))
        items.append(
            Item(
                name=_text(_c(it, "name")) or Text.plain("item"),
                identifications=_idents(it),
                manufacturer=manu.get("en") if manu else None,
                model=_t(it, "model"),
                id=it.get("id"),
            )
        )
    lab = _c(adm, "calibrationLaboratory")
    if lab is None:
        raise DccError("dcc:calibrationLaboratory is missing")
    persons = []
    for p in _cs(_c(adm, "respPersons"), "respPerson"):
        name = _text(_c(_c(p, "person"), "name"))
        if name is not None:
            persons.append(RespPerson(name, _t(p, "role"), bool(_bool(_t(p, "mainSigner")))))
    customer = _c(adm, "customer")
    if customer is None:
        raise DccError("dcc:customer is missing")
    statements = tuple(
        s for s in (_statement(e) for e in _cs(_c(adm, "statements"), "statement")) if s is not None
    )
    mrs = tuple(
        m
        for m in (_measurement_result(e) for e in _cs(_c(root, "measurementResults"), "measurementResult"))
        if m is not None
    )
    return Certificate(
        core=core,
        software=Software(sw_name.get("en") if sw_name else "unknown", _t(sw, "release") or ""),
        items=tuple(items),
        laboratory=Laboratory(_contact(_c(lab, "contact")), _t(lab, "calibrationLaboratoryCode")),
        resp_persons=tuple(persons),
        customer=_contact(customer),
        measurement_results=mrs,
        statements=statements,
        schema_version=version,
    )


def from_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> Certificate:
    """Parse untrusted bytes safely (:func:`jiliang.dcc.xmlsafe.parse_xml`) and read the model."""
    return from_tree(parse_xml(data, max_bytes=max_bytes))
