"""Validation: XSD chosen by ``schemaVersion``, then the business rules; one report with XPaths.

Business rules (mirroring what PTB's good practice asks for, written here from the schema's
documentation, not copied):

* ``refId`` — every token of every ``@refId`` names an ``@id`` of the document; ids are unique;
* ``unit`` — every ``si:unit`` / ``si:unitXMLList`` token is a D-SI unit string (parsed by PTB's
  ``dsiUnits``);
* ``language`` — every ``dcc:content/@lang`` is a used language, mandatory languages are used, no
  text repeats a language, every multilingual text covers all mandatory languages;
* ``coverage-factor`` — every coverage factor is ≥ 1 (GUM 6.2.1 — k < 1 would shrink the interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from jiliang.dcc.errors import DccError
from jiliang.dcc.schemas import SUPPORTED_VERSIONS, lxml_schema, xmlschema_schema
from jiliang.dcc.writer import DCC_NS, DS_NS, SI_NS
from jiliang.dcc.xmlsafe import MAX_XML_BYTES, content_root, parse_xml
from jiliang.units import unit_problem

if TYPE_CHECKING:
    from lxml import etree

__all__ = [
    "Problem",
    "ValidationReport",
    "schema_set_for",
    "validate",
    "validate_tree",
    "xpath_of",
]

_PREFIX = {DCC_NS: "dcc", SI_NS: "si", DS_NS: "ds", "http://uri.etsi.org/01903/v1.3.2#": "xades"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: ``rule`` (``xml``, ``schema``, ``refId``, ``unit``, ``language``,
    ``coverage-factor``, ``version``), where (``xpath``) and what."""

    rule: str
    xpath: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "xpath": self.xpath, "message": self.message, "severity": self.severity}

    def __str__(self) -> str:
        return f"{self.severity}: [{self.rule}] {self.xpath}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome: ``valid`` when no problem of severity ``error`` was found."""

    schema_version: str | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "schema_version": self.schema_version,
            "problems": [p.as_dict() for p in self.problems],
        }


def xpath_of(el: etree._Element) -> str:
    """A readable XPath with the usual prefixes (``/dcc:…/si:real[2]``)."""
    parts: list[str] = []
    node: Any = el
    while node is not None:
        qn = node.tag
        if not isinstance(qn, str):
            node = node.getparent()
            continue
        ns, _, local = qn[1:].partition("}") if qn.startswith("{") else ("", "", qn)
        name = f"{_PREFIX.get(ns, 'ns')}:{local}" if ns else local
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == qn]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def _q(ns: str, name: str) -> str:
    return "{" + ns + "}" + name


def _rules(root: etree._Element) -> list[Problem]:
    """The problems a schema cannot see: ids and references, units, coverage factors, languages."""
    problems = _id_problems(root)
    problems += _unit_problems(root)
    problems += _coverage_problems(root)
    used, mandatory, lang_problems = _declared_languages(root)
    problems += lang_problems
    problems += _text_language_problems(root, used, mandatory)
    return problems


def _id_problems(root: etree._Element) -> list[Problem]:
    """Ids used twice, and ``refId`` tokens that name no element of the certificate."""
    problems: list[Problem] = []
    ids: dict[str, Any] = {}
    refs: list[tuple[Any, str]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        i = el.get("id")
        if i is not None:
            if i in ids:
                problems.append(Problem("refId", xpath_of(el), f"id {i!r} is used twice"))
            ids[i] = el
        r = el.get("refId")
        if r is not None:
            refs.append((el, r))
    for el, r in refs:
        for token in r.split():
            if token not in ids:
                problems.append(
                    Problem(
                        "refId",
                        xpath_of(el) + "/@refId",
                        f"refId {token!r} names no element of this certificate",
                    )
                )
    return problems


def _unit_problems(root: etree._Element) -> list[Problem]:
    """Empty units and units that are not valid D-SI."""
    problems: list[Problem] = []
    for tag in ("unit", "unitXMLList"):
        for el in root.iter(_q(SI_NS, tag)):
            for token in (el.text or "").split() or [""]:
                why = unit_problem(token) if token else "empty unit"
                if why:
                    problems.append(Problem("unit", xpath_of(el), why))
    return problems


def _coverage_problems(root: etree._Element) -> list[Problem]:
    """Coverage factors that are not numbers or are below 1."""
    problems: list[Problem] = []
    for tag in ("coverageFactor", "coverageFactorXMLList"):
        for el in root.iter(_q(SI_NS, tag)):
            for token in (el.text or "").split():
                try:
                    k = Decimal(token)
                except InvalidOperation:
                    problems.append(
                        Problem("coverage-factor", xpath_of(el), f"coverage factor {token!r} is not a number")
                    )
                    continue
                if not k >= 1:
                    problems.append(
                        Problem("coverage-factor", xpath_of(el), f"coverage factor {token} is below 1")
                    )
    return problems


def _declared_languages(root: etree._Element) -> tuple[list[str], list[str], list[Problem]]:
    """The used and mandatory languages of the core data, and the problems of those lists."""
    problems: list[Problem] = []
    core = root.find(f"{{{DCC_NS}}}administrativeData/{{{DCC_NS}}}coreData")
    used: list[str] = []
    mandatory: list[str] = []
    if core is not None:
        used = [(e.text or "").strip() for e in core.iter(_q(DCC_NS, "usedLangCodeISO639_1"))]
        mandatory = [(e.text or "").strip() for e in core.iter(_q(DCC_NS, "mandatoryLangCodeISO639_1"))]
        for lang in set(used):
            if used.count(lang) > 1:
                problems.append(
                    Problem("language", xpath_of(core), f"used language {lang!r} is listed twice")
                )
        for e in core.iter(_q(DCC_NS, "mandatoryLangCodeISO639_1")):
            if (e.text or "").strip() not in used:
                problems.append(
                    Problem("language", xpath_of(e), f"mandatory language {e.text!r} is not a used language")
                )
    return used, mandatory, problems


def _text_language_problems(root: etree._Element, used: list[str], mandatory: list[str]) -> list[Problem]:
    """Texts in a language not used, a language given twice, or lacking a mandatory language."""
    problems: list[Problem] = []
    add = problems.append
    content_tag = _q(DCC_NS, "content")
    seen_parents: set[Any] = set()
    for el in root.iter(content_tag):
        lang = el.get("lang")
        if lang is not None and used and lang not in used:
            add(
                Problem(
                    "language", xpath_of(el) + "/@lang", f"language {lang!r} is not a used language {used}"
                )
            )
        parent = el.getparent()
        if parent is None or parent in seen_parents:
            continue
        seen_parents.add(parent)
        langs = [c.get("lang") for c in parent if c.tag == content_tag]
        marked = [x for x in langs if x is not None]
        for x in set(marked):
            if marked.count(x) > 1:
                add(Problem("language", xpath_of(parent), f"language {x!r} appears twice", "warning"))
        if len(marked) >= 2:
            for m in mandatory:
                if m not in marked:
                    add(Problem("language", xpath_of(parent), f"text lacks mandatory language {m!r}"))
    return problems


def schema_set_for(version: str) -> tuple[str | None, str | None]:
    """The shipped XSD set a file of ``version`` is checked against, and a note when it is not its own.

    A version with its own set uses it. A 3.x patch release without one (3.1.0) is checked against
    the newest shipped set of the same minor release (patch releases only add optional parts);
    any other 3.x version without a set (3.2.x) is read but not schema-checked. Both are warnings;
    a version outside 3.x is an error.
    """
    if version in SUPPORTED_VERSIONS:
        return version, None
    parts = version.split(".")
    if len(parts) != 3 or parts[0] != "3" or not all(p.isdigit() for p in parts):
        return None, (
            f"unknown schemaVersion {version[:40]!r}; supported: {', '.join(SUPPORTED_VERSIONS)} "
            "(other 3.x versions are read with a warning)"
        )
    same_minor = [v for v in SUPPORTED_VERSIONS if v.split(".")[:2] == parts[:2]]
    if same_minor:
        newest = max(same_minor, key=lambda v: int(v.split(".")[2]))
        return newest, f"no XSD ships for schemaVersion {version}; checked against the {newest} schema"
    return None, f"no XSD ships for schemaVersion {version}; schema not checked"


def _schema_problems(root: etree._Element, version: str, engine: str) -> list[Problem]:
    problems: list[Problem] = []
    if engine == "lxml":
        schema = lxml_schema(version)
        if not schema.validate(root):
            for entry in schema.error_log:
                problems.append(Problem("schema", entry.path or "/", f"line {entry.line}: {entry.message}"))
    elif engine == "xmlschema":
        for err in xmlschema_schema(version).iter_errors(root):
            path = xpath_of(err.elem) if err.elem is not None else "/"
            problems.append(Problem("schema", path, err.reason or str(err)))
    else:
        raise DccError(f"unknown validation engine {engine!r}; use lxml or xmlschema")
    return problems


def validate_tree(tree: etree._ElementTree | etree._Element, *, engine: str = "lxml") -> ValidationReport:
    """Validate a parsed certificate: namespace, ``schemaVersion``, XSD, then business rules.

    ``engine`` is ``lxml`` (libxml2, fast; the default) or ``xmlschema`` (pure Python).
    Rules read the content with comments and processing instructions removed.
    """
    root = content_root(tree)
    if root.tag != _q(DCC_NS, "digitalCalibrationCertificate"):
        return ValidationReport(
            None,
            (
                Problem(
                    "xml",
                    "/" + str(root.tag),
                    f"root element is {root.tag!r}, not dcc:digitalCalibrationCertificate in {DCC_NS}",
                ),
            ),
        )
    version = root.get("schemaVersion")
    if version is None:
        return ValidationReport(
            None, (Problem("version", xpath_of(root), "schemaVersion attribute is missing"),)
        )
    problems: list[Problem] = []
    schema_set, note = schema_set_for(version)
    if note is not None:
        severity: Literal["error", "warning"] = "error" if note.startswith("unknown") else "warning"
        problems.append(Problem("version", xpath_of(root) + "/@schemaVersion", note, severity))
        if severity == "error":
            return ValidationReport(version, tuple(problems))
    if schema_set is not None:
        checked = root
        if schema_set != version:  # each XSD pins its own version: check a copy carrying that pin
            import copy

            checked = copy.deepcopy(root)
            checked.set("schemaVersion", schema_set)
        problems.extend(_schema_problems(checked, schema_set, engine))
    problems.extend(_rules(root))
    return ValidationReport(version, tuple(problems))


def validate(data: bytes, *, engine: str = "lxml", max_bytes: int = MAX_XML_BYTES) -> ValidationReport:
    """Parse untrusted bytes safely and validate them; a parse failure is reported, not raised.

    Only :class:`~jiliang.dcc.errors.DccSizeError` (over ``max_bytes``) is raised, so the caller can
    answer "too large" distinctly.
    """
    from jiliang.dcc.errors import DccSizeError

    try:
        tree = parse_xml(data, max_bytes=max_bytes)
    except DccSizeError:
        raise
    except DccError as exc:
        return ValidationReport(None, (Problem("xml", "/", exc.message),))
    return validate_tree(tree, engine=engine)
