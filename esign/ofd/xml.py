"""Safe XML for OFD parts (GB/T 33190-2016 §7: every part is XML in the ``ofd`` namespace).

An OFD comes from anyone who uploads it, so its XML is parsed with lxml configured against the
classic attacks (OWASP XML External Entity Prevention Cheat Sheet, "lxml" section): no DTD loaded,
no entity resolved, no network, lxml's huge-tree protections left on (depth and text-node limits of
libxml2). On top of that a document type declaration of any kind is refused before and after
parsing — OFD has no DTD (the standard defines its parts by XML Schema), so a ``<!DOCTYPE`` can
only be an attack (external entities, billion laughs) or a careless producer, and either way it is
answered with ``ofd_xml_forbidden``.
"""

from __future__ import annotations

from lxml import etree

from esign.errors import InputError

__all__ = ["NS", "OFD_NS", "parse_xml", "q"]

OFD_NS = "http://www.ofdspec.org/2016"
"""The OFD namespace (GB/T 33190-2016 §7.1)."""
NS = {"ofd": OFD_NS}
"""Prefix map for XPath."""


def q(local: str, ns: str = OFD_NS) -> str:
    """Clark name ``{ns}local`` of an OFD element."""
    return f"{{{ns}}}{local}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def _forbidden(name: str) -> InputError:
    return InputError(
        f"OFD 文件中的 XML 部件 {name} 含有文档类型声明或实体定义（可能是 XXE 或“十亿笑”攻击），拒绝处理。",
        f"The OFD part {name} contains a document type declaration or entity definitions "
        "(an XXE or billion-laughs attempt); refused.",
        code="ofd_xml_forbidden",
        field="file",
        part=name,
    )


def parse_xml(data: bytes, name: str) -> etree._Element:
    """Parse one OFD part; refuse DTDs and entities (``ofd_xml_forbidden``) and malformed XML
    (``ofd_xml_malformed``). ``name`` is the package path, for the message."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise _forbidden(name)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as e:
        raise InputError(
            f"OFD 文件中的 XML 部件 {name} 格式错误：{e.msg}",
            f"The OFD part {name} is not well-formed XML: {e.msg}",
            code="ofd_xml_malformed",
            field="file",
            part=name,
        ) from e
    except ValueError as e:  # lxml refuses e.g. a str-encoding declaration mismatch
        raise InputError(
            f"OFD 文件中的 XML 部件 {name} 无法解析。",
            f"The OFD part {name} cannot be parsed: {e}",
            code="ofd_xml_malformed",
            field="file",
            part=name,
        ) from e
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _forbidden(name)
    return root
