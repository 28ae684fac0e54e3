"""The XSD sets shipped with the package, and schema objects built once per version.

Each DCC release pins ``schemaVersion`` exactly (``<xs:pattern value="3\\.3\\.0"/>``), so the set
is chosen by that attribute. The XSDs are unmodified; their remote ``xs:import`` URLs are mapped
to the local files here (:data:`URL_MAP`), so nothing is fetched from the network.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jiliang.dcc.errors import DccError

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["SCHEMA_DIR", "SUPPORTED_VERSIONS", "URL_MAP", "local_path", "lxml_schema", "xmlschema_schema"]

SCHEMA_DIR = Path(__file__).parent

SUPPORTED_VERSIONS: tuple[str, ...] = ("3.0.0", "3.1.1", "3.1.2", "3.3.0")
"""Versions with a schema set here. Each XSD pins ``schemaVersion`` with a pattern, so a file is
validated only against the set of its own version (no 3.1.0 or 3.2.x set is available)."""

_SI = {"3.0.0": "2.0.0", "3.1.1": "2.1.0", "3.1.2": "2.1.0", "3.3.0": "2.2.1"}

URL_MAP: dict[str, dict[str, Path]] = {
    version: {
        f"https://ptb.de/si/v{si}/SI_Format.xsd": SCHEMA_DIR / version / "SI_Format.xsd",
        f"https://www.ptb.de/si/v{si}/SI_Format.xsd": SCHEMA_DIR / version / "SI_Format.xsd",
        f"https://www.ptb.de/si/v{si}/qudt/quantitykind.xsd": SCHEMA_DIR
        / version
        / "qudt"
        / "quantitykind.xsd",
        f"https://ptb.de/si/v{si}/qudt/quantitykind.xsd": SCHEMA_DIR / version / "qudt" / "quantitykind.xsd",
        "https://www.ptb.de/dcc/d-sig/xmldsig-core-schema.xsd": SCHEMA_DIR
        / version
        / "xmldsig-core-schema.xsd",
        "https://ptb.de/dcc/d-sig/xmldsig-core-schema.xsd": SCHEMA_DIR / version / "xmldsig-core-schema.xsd",
    }
    for version, si in _SI.items()
}

_LOCK = threading.Lock()


def local_path(version: str) -> Path:
    """The local ``dcc.xsd`` for ``version``; DccError for a version without a schema set."""
    if version not in SUPPORTED_VERSIONS:
        raise DccError(f"no schema for schemaVersion {version!r}; known: {', '.join(SUPPORTED_VERSIONS)}")
    return SCHEMA_DIR / version / "dcc.xsd"


def _resolver_class() -> Any:
    from lxml import etree

    class _LocalOnly(etree.Resolver):  # type: ignore[misc]
        """Serve mapped URLs from the package; refuse everything else."""

        def __init__(self, mapping: dict[str, Path]) -> None:
            super().__init__()
            self.mapping = mapping

        def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
            path = self.mapping.get(url)
            if path is None:
                candidate = Path(url.removeprefix("file://"))
                if candidate.is_absolute() and candidate.resolve().is_relative_to(SCHEMA_DIR):
                    path = candidate
            if path is None:
                raise DccError(f"schema import {url!r} is not available offline")
            return self.resolve_filename(str(path), context)

    return _LocalOnly


@cache
def lxml_schema(version: str) -> etree.XMLSchema:
    """The compiled lxml (libxml2) schema for ``version``; built once, then cached."""
    from lxml import etree

    path = local_path(version)
    with _LOCK:
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        parser.resolvers.add(_resolver_class()(URL_MAP[version]))
        doc = etree.parse(str(path), parser)
        return etree.XMLSchema(doc)


@cache
def xmlschema_schema(version: str) -> Any:
    """The ``xmlschema`` (pure Python) schema for ``version``; built once, then cached."""
    import xmlschema

    path = local_path(version)
    mapping = {url: str(p) for url, p in URL_MAP[version].items()}

    def mapper(url: str) -> str:
        return mapping.get(url, url)

    with _LOCK:
        return xmlschema.XMLSchema(str(path), uri_mapper=mapper, allow="local")
