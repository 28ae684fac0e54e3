"""Migrate DCC 3.0 – 3.2 files to DCC 3.3.0 / D-SI 2.2.1 on the XML tree, keeping every value.

The D-SI 2.2 renames (deprecated names on the left are still accepted by 2.2.1, but flagged):

=================================  ==================================================================
``si:expandedUnc``                 ``si:measurementUncertaintyUnivariate/si:expandedMU``
  ``si:uncertainty``                 ``si:valueExpandedMU``
``si:coverageInterval``            ``si:measurementUncertaintyUnivariate/si:coverageIntervalMU``
  ``si:standardUnc``                 ``si:valueStandardMU``
``si:expandedUncXMLList``          ``si:measurementUncertaintyUnivariateXMLList/si:expandedMUXMLList``
  ``si:uncertaintyXMLList``          ``si:valueExpandedMUXMLList``
``si:coverageIntervalXMLList``     ``si:measurementUncertaintyUnivariateXMLList/si:coverageIntervalMUXMLList``
  ``si:standardUncXMLList``          ``si:valueStandardMUXMLList``
=================================  ==================================================================

Then ``schemaVersion`` becomes ``3.3.0`` (and ``xsi:schemaLocation`` points at v3.3.0). Nothing else
changes: comments, embedded documents and every text and attribute value are kept, and this is
checked (:func:`values_of` before and after must be equal). A signature cannot survive a change
of the signed content, so ``ds:Signature`` elements are removed and the result says so.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from jiliang.dcc.errors import DccError
from jiliang.dcc.reader import READ_VERSIONS
from jiliang.dcc.writer import DCC_NS, DS_NS, SI_NS, WRITE_VERSION
from jiliang.dcc.xmlsafe import MAX_XML_BYTES, parse_xml

__all__ = ["MigrationResult", "migrate", "values_of"]

_S = "{" + SI_NS + "}"
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"

# old element -> (wrapper, new element, {old child: new child})
_RENAMES: dict[str, tuple[str, str, dict[str, str]]] = {
    "expandedUnc": ("measurementUncertaintyUnivariate", "expandedMU", {"uncertainty": "valueExpandedMU"}),
    "coverageInterval": (
        "measurementUncertaintyUnivariate",
        "coverageIntervalMU",
        {"standardUnc": "valueStandardMU"},
    ),
    "expandedUncXMLList": (
        "measurementUncertaintyUnivariateXMLList",
        "expandedMUXMLList",
        {"uncertaintyXMLList": "valueExpandedMUXMLList"},
    ),
    "coverageIntervalXMLList": (
        "measurementUncertaintyUnivariateXMLList",
        "coverageIntervalMUXMLList",
        {"standardUncXMLList": "valueStandardMUXMLList"},
    ),
}


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """The migrated XML, the version it came from, and what was changed (one line per change)."""

    xml: bytes
    from_version: str
    changes: tuple[str, ...]


def values_of(root: Any) -> Counter[str]:
    """Every text and attribute value of a tree (whitespace-normalised), as a multiset.

    Version markers (``schemaVersion``, ``xsi:schemaLocation``) and the signature are left out.
    """
    out: Counter[str] = Counter()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{" + DS_NS + "}"):
            continue
        if any(isinstance(a.tag, str) and a.tag.startswith("{" + DS_NS + "}") for a in el.iterancestors()):
            continue
        text = " ".join((el.text or "").split())
        if text:
            out[text] += 1
        if isinstance(el.tag, str):
            for name, value in el.attrib.items():
                if name not in ("schemaVersion", _XSI):
                    out[f"@{name}={value}"] += 1
    return out


def migrate(data: bytes, *, to: str = WRITE_VERSION, max_bytes: int = MAX_XML_BYTES) -> MigrationResult:
    """Migrate a DCC 3.0 – 3.3 file to ``to`` (only ``3.3.0`` is supported)."""
    from lxml import etree

    if to != WRITE_VERSION:
        raise DccError(f"can migrate to {WRITE_VERSION} only, not {to!r}")
    tree = parse_xml(data, max_bytes=max_bytes)
    root = tree.getroot()
    if root.tag != "{" + DCC_NS + "}digitalCalibrationCertificate":
        raise DccError(f"root element {root.tag!r} is not dcc:digitalCalibrationCertificate ({DCC_NS})")
    version = root.get("schemaVersion") or ""
    if version not in READ_VERSIONS:
        raise DccError(f"unknown schemaVersion {version!r}; can migrate from {', '.join(READ_VERSIONS)}")
    before = values_of(root)
    changes: list[str] = []
    for sig in root.findall("{" + DS_NS + "}Signature"):
        root.remove(sig)
        changes.append("removed ds:Signature: migration changes the signed content; sign the result again")
    counts: Counter[str] = Counter()
    for old, (wrapper, new, children) in _RENAMES.items():
        for el in list(root.iter(_S + old)):
            parent = el.getparent()
            idx = parent.index(el)
            wrap = etree.Element(_S + wrapper)
            wrap.tail = el.tail
            el.tail = None
            parent.remove(el)
            parent.insert(idx, wrap)
            el.tag = _S + new
            wrap.append(el)
            for child in el:
                if isinstance(child.tag, str) and child.tag.startswith(_S):
                    local = child.tag[len(_S) :]
                    if local in children:
                        child.tag = _S + children[local]
            counts[f"si:{old} -> si:{wrapper}/si:{new}"] += 1
    changes.extend(f"{n} x {what}" for what, n in sorted(counts.items()))
    if version != to:
        root.set("schemaVersion", to)
        changes.append(f"schemaVersion {version} -> {to}")
    loc = root.get(_XSI)
    if loc is not None:
        new_loc = re.sub(r"dcc/v\d+\.\d+\.\d+/", f"dcc/v{to}/", loc)
        if new_loc != loc:
            root.set(_XSI, new_loc)
    after = values_of(root)
    if after != before:  # pragma: no cover - a bug guard: migration must never lose a value
        lost = list((before - after).elements())[:3]
        raise DccError(f"migration would change values {lost}")
    xml = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return MigrationResult(bytes(xml), version, tuple(changes))
