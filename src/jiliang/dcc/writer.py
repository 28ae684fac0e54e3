"""Write a :class:`~jiliang.dcc.model.Certificate` as DCC 3.3.0 / D-SI 2.2.1 XML (lxml)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jiliang.dcc.model import (
    Certificate,
    Contact,
    Equipment,
    Hybrid,
    Identification,
    InfluenceCondition,
    Limit,
    Location,
    MeasurementResult,
    Method,
    Quantity,
    Real,
    RealList,
    Result,
    Statement,
    Text,
)

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["DCC_NS", "DS_NS", "SI_NS", "WRITE_VERSION", "to_element", "to_xml"]

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
WRITE_VERSION = "3.3.0"
_NSMAP = {"dcc": DCC_NS, "si": SI_NS}
_D = "{" + DCC_NS + "}"
_S = "{" + SI_NS + "}"


def _fmt(d: Decimal) -> str:
    return format(d, "f") if -7 < d.adjusted() < 15 else str(d)


def _fmt_list(values: Sequence[Decimal]) -> str:
    return " ".join(_fmt(v) for v in values)


class _W:
    def __init__(self) -> None:
        from lxml import etree

        self.E = etree

    def sub(self, parent: Any, tag: str, text: str | None = None, **attrs: str | None) -> Any:
        el = self.E.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
        if text is not None:
            el.text = text
        return el

    def d(self, parent: Any, name: str, text: str | None = None, **attrs: str | None) -> Any:
        return self.sub(parent, _D + name, text, **attrs)

    def s(self, parent: Any, name: str, text: str | None = None) -> Any:
        return self.sub(parent, _S + name, text)

    def text(self, parent: Any, name: str, text: Text) -> Any:
        el = self.d(parent, name)
        for lang, value in text.contents:
            self.d(el, "content", value, lang=lang or None)
        return el

    def idents(self, parent: Any, idents: Sequence[Identification]) -> None:
        box = self.d(parent, "identifications")
        for i in idents:
            el = self.d(box, "identification")
            self.d(el, "issuer", i.issuer)
            self.d(el, "value", i.value)
            if i.name is not None:
                self.text(el, "name", i.name)

    def location(self, parent: Any, loc: Location) -> None:
        el = self.d(parent, "location")
        for name, value in (
            ("city", loc.city),
            ("countryCode", loc.country_code),
            ("postCode", loc.post_code),
            ("state", loc.state),
            ("street", loc.street),
            ("streetNo", loc.street_no),
        ):
            if value:
                self.d(el, name, value)
        if loc.further is not None:
            self.text(el, "further", loc.further)

    def contact(self, parent: Any, name: str, c: Contact) -> None:
        el = self.d(parent, name)
        self.text(el, "name", c.name)
        if c.email:
            self.d(el, "eMail", c.email)
        if c.phone:
            self.d(el, "phone", c.phone)
        self.location(el, c.location)

    def statement(self, parent: Any, name: str, st: Statement) -> None:
        el = self.d(parent, name, refType=st.ref_type)
        if st.name is not None:
            self.text(el, "name", st.name)
        if st.decision_rule:
            self.d(el, "convention", st.decision_rule)
        if st.traceable is not None:
            self.d(el, "traceable", "true" if st.traceable else "false")
        for norm in st.norms:
            self.d(el, "norm", norm)
        if st.declaration is not None:
            self.text(el, "declaration", st.declaration)
        if st.date is not None:
            self.d(el, "date", st.date.isoformat())
        if st.conformity is not None:
            self.d(el, "conformity", st.conformity)
        elif st.conformity_list:
            self.d(el, "conformityXMLList", " ".join(st.conformity_list))
        if st.limits:
            data = self.d(el, "data")
            for limit in st.limits:
                self.limit(data, limit)

    def limit(self, parent: Any, limit: Limit) -> None:
        el = self.d(parent, "quantity", refType=limit.ref_type)
        if limit.name is not None:
            self.text(el, "name", limit.name)
        if isinstance(limit.value, Real):
            self.real(el, limit.value)
        else:
            self.real_list(el, limit.value)

    def real(self, parent: Any, r: Real) -> None:
        el = self.s(parent, "real")
        if r.label:
            self.s(el, "label", r.label)
        self.s(el, "value", _fmt(r.value))
        self.s(el, "unit", r.unit)
        if r.uncertainty is not None:
            u = r.uncertainty
            mu = self.s(self.s(el, "measurementUncertaintyUnivariate"), "expandedMU")
            self.s(mu, "valueExpandedMU", _fmt(u.U))
            self.s(mu, "coverageFactor", _fmt(u.k))
            self.s(mu, "coverageProbability", _fmt(u.p))
            if u.distribution:
                self.s(mu, "distribution", u.distribution)

    def real_list(self, parent: Any, r: RealList) -> None:
        el = self.s(parent, "realListXMLList")
        if r.label:
            self.s(el, "labelXMLList", r.label)
        self.s(el, "valueXMLList", _fmt_list(r.values))
        self.s(el, "unitXMLList", " ".join(r.units))
        if r.uncertainty is not None:
            u = r.uncertainty
            mu = self.s(self.s(el, "measurementUncertaintyUnivariateXMLList"), "expandedMUXMLList")
            self.s(mu, "valueExpandedMUXMLList", _fmt_list(u.U))
            self.s(mu, "coverageFactorXMLList", _fmt_list(u.k))
            self.s(mu, "coverageProbabilityXMLList", _fmt_list(u.p))

    def quantity(self, parent: Any, q: Quantity) -> None:
        el = self.d(parent, "quantity", refType=q.ref_type, id=q.id, refId=q.ref_id)
        if q.name is not None:
            self.text(el, "name", q.name)
        v = q.value
        if isinstance(v, Real):
            self.real(el, v)
        elif isinstance(v, RealList):
            self.real_list(el, v)
        else:
            self.hybrid(el, v)
        if q.conformity is not None:
            self.statement(self.d(el, "measurementMetaData"), "metaData", q.conformity)

    def hybrid(self, parent: Any, h: Hybrid) -> None:
        el = self.s(parent, "hybrid")
        for m in h.members:
            if isinstance(m, Real):
                self.real(el, m)
            else:
                self.real_list(el, m)

    def result(self, parent: Any, r: Result) -> None:
        el = self.d(parent, "result", refType=r.ref_type, id=r.id)
        self.text(el, "name", r.name)
        data = self.d(el, "data")
        box = self.d(data, "list") if r.as_list else data
        for q in r.quantities:
            self.quantity(box, q)

    def method(self, parent: Any, m: Method) -> None:
        el = self.d(parent, "usedMethod", refType=m.ref_type, id=m.id)
        self.text(el, "name", m.name)
        if m.description is not None:
            self.text(el, "description", m.description)
        for norm in m.norms:
            self.d(el, "norm", norm)

    def equipment(self, parent: Any, e: Equipment) -> None:
        el = self.d(parent, "measuringEquipment", refType=e.ref_type, id=e.id)
        self.text(el, "name", e.name)
        if e.certificate is not None:
            c = e.certificate
            ce = self.d(el, "certificate")
            self.text(ce, "referral", c.referral)
            self.d(ce, "referralID", c.referral_id)
            self.d(ce, "procedure", c.procedure)
            self.d(ce, "value", c.value)
            if c.traceable is not None:
                self.d(ce, "traceable", "true" if c.traceable else "false")
        if e.manufacturer:
            self.text(self.d(el, "manufacturer"), "name", Text.plain(e.manufacturer))
        if e.model:
            self.d(el, "model", e.model)
        if e.identifications:
            self.idents(el, e.identifications)

    def influence(self, parent: Any, ic: InfluenceCondition) -> None:
        el = self.d(parent, "influenceCondition", refType=ic.ref_type, id=ic.id)
        self.text(el, "name", ic.name)
        if ic.description is not None:
            self.text(el, "description", ic.description)
        if ic.quantities:
            data = self.d(el, "data")
            for q in ic.quantities:
                self.quantity(data, q)

    def measurement_result(self, parent: Any, mr: MeasurementResult) -> None:
        el = self.d(parent, "measurementResult")
        self.text(el, "name", mr.name)
        if mr.description is not None:
            self.text(el, "description", mr.description)
        if mr.methods:
            box = self.d(el, "usedMethods")
            for m in mr.methods:
                self.method(box, m)
        if mr.equipment:
            box = self.d(el, "measuringEquipments")
            for e in mr.equipment:
                self.equipment(box, e)
        if mr.influence_conditions:
            box = self.d(el, "influenceConditions")
            for ic in mr.influence_conditions:
                self.influence(box, ic)
        box = self.d(el, "results")
        for r in mr.results:
            self.result(box, r)


def to_element(cert: Certificate) -> etree._Element:
    """The certificate as an lxml element tree (DCC 3.3.0, whatever version it was read from)."""
    w = _W()
    root = w.E.Element(_D + "digitalCalibrationCertificate", nsmap=_NSMAP)
    root.set("schemaVersion", WRITE_VERSION)
    adm = w.d(root, "administrativeData")
    sw = w.d(w.d(adm, "dccSoftware"), "software")
    w.text(sw, "name", Text.plain(cert.software.name))
    w.d(sw, "release", cert.software.release)
    core = cert.core
    cd = w.d(adm, "coreData")
    w.d(cd, "countryCodeISO3166_1", core.country_code)
    for lang in core.used_languages:
        w.d(cd, "usedLangCodeISO639_1", lang)
    for lang in core.mandatory_languages:
        w.d(cd, "mandatoryLangCodeISO639_1", lang)
    w.d(cd, "uniqueIdentifier", core.unique_identifier)
    if core.identifications:
        w.idents(cd, core.identifications)
    if core.receipt_date is not None:
        w.d(cd, "receiptDate", core.receipt_date.isoformat())
    w.d(cd, "beginPerformanceDate", core.begin_performance_date.isoformat())
    w.d(cd, "endPerformanceDate", core.end_performance_date.isoformat())
    w.d(cd, "performanceLocation", core.performance_location)
    if core.issue_date is not None:
        w.d(cd, "issueDate", core.issue_date.isoformat())
    items = w.d(adm, "items")
    for it in cert.items:
        el = w.d(items, "item", id=it.id)
        w.text(el, "name", it.name)
        if it.manufacturer:
            w.text(w.d(el, "manufacturer"), "name", Text.plain(it.manufacturer))
        if it.model:
            w.d(el, "model", it.model)
        w.idents(el, it.identifications)
    lab = w.d(adm, "calibrationLaboratory")
    if cert.laboratory.code:
        w.d(lab, "calibrationLaboratoryCode", cert.laboratory.code)
    w.contact(lab, "contact", cert.laboratory.contact)
    persons = w.d(adm, "respPersons")
    for p in cert.resp_persons:
        el = w.d(persons, "respPerson")
        w.text(w.d(el, "person"), "name", p.name)
        if p.role:
            w.d(el, "role", p.role)
        if p.main_signer:
            w.d(el, "mainSigner", "true")
    w.contact(adm, "customer", cert.customer)
    if cert.statements:
        box = w.d(adm, "statements")
        for st in cert.statements:
            w.statement(box, "statement", st)
    mrs = w.d(root, "measurementResults")
    for mr in cert.measurement_results:
        w.measurement_result(mrs, mr)
    return root


def to_xml(cert: Certificate) -> bytes:
    """The certificate as UTF-8 XML bytes with declaration (not pretty-printed: what is signed)."""
    from lxml import etree

    return bytes(etree.tostring(to_element(cert), xml_declaration=True, encoding="UTF-8"))
