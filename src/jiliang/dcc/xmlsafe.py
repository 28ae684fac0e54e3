"""Hardened XML parsing for certificates received from anyone.

Rules: no network, no DTD (a ``<!DOCTYPE`` is refused outright, so external entities (XXE) and
entity expansion ("billion laughs") never get a chance), no XInclude, ``huge_tree`` off (libxml2's
own depth and text-node limits stay on), a size limit checked before any parsing, and parsing is
linear in the input, so the time is bounded by the size limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jiliang.dcc.errors import DccError, DccSizeError, UnsafeXmlError

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["MAX_XML_BYTES", "content_root", "parse_xml", "safe_parser"]

MAX_XML_BYTES = 20 * 1024 * 1024
"""Largest certificate accepted (20 MiB): PTB examples are 30-60 kB; embedded PDFs make them larger."""

_PARSER: etree.XMLParser | None = None


def safe_parser() -> etree.XMLParser:
    """The one lxml parser used for untrusted input (module-level, built once)."""
    global _PARSER
    if _PARSER is None:
        from lxml import etree

        _PARSER = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            collect_ids=False,
        )
    return _PARSER


def _looks_like_dtd(data: bytes) -> bool:
    head = data[:65536]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        return True
    # UTF-16/32 encodings hide the ASCII marker; look for it with the nulls removed.
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 1 and head[1:2] == b"\x00"):
        squeezed = head.replace(b"\x00", b"")
        return b"<!DOCTYPE" in squeezed or b"<!ENTITY" in squeezed
    return False


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes into a tree, or raise.

    Raises
    ------
    DccSizeError
        ``data`` is longer than ``max_bytes``.
    UnsafeXmlError
        A document type declaration or entity declaration is present.
    DccError
        The bytes are not well-formed XML (message: the parser's reason and line).
    """
    from lxml import etree

    if not isinstance(data, bytes | bytearray | memoryview):
        raise DccError(f"XML must be given as bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise DccSizeError(f"XML is {len(data)} bytes, more than the limit of {max_bytes} bytes")
    if not data.strip():
        raise DccError("XML is empty")
    if _looks_like_dtd(data):
        raise UnsafeXmlError("XML with a document type declaration (DTD/entities) is refused")
    try:
        tree = etree.ElementTree(etree.fromstring(data, safe_parser()))
    except etree.XMLSyntaxError as exc:
        raise DccError(f"malformed XML: {exc}") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise DccError(f"malformed XML: {exc}") from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError("XML with a document type declaration (DTD/entities) is refused")
    for node in tree.iter(etree.Entity):  # pragma: no cover - unreachable without a DTD
        raise UnsafeXmlError(f"XML with entity reference {node.text!r} is refused")
    return tree


def content_root(tree: etree._ElementTree | etree._Element) -> etree._Element:
    """The root with comments and processing instructions removed and their text joined.

    What a signature covers (C14N without comments) and what is read, rendered and stored must
    be the same text: ``99.99<!---->99`` is the value ``99.9999``, never ``99.99``. Returns a copy
    when there is anything to remove, else the root itself.
    """
    from lxml import etree

    root = tree.getroot() if hasattr(tree, "getroot") else tree
    if next(root.iter(etree.Comment, etree.ProcessingInstruction), None) is None:
        return root
    import copy

    clean = copy.deepcopy(root)
    etree.strip_tags(clean, etree.Comment, etree.ProcessingInstruction)
    return clean
