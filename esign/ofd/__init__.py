"""OFD documents (GB/T 33190-2016): safe package reading, and verification of their GB/T 38540 signatures."""

from esign.ofd.package import MAX_ENTRIES, OfdPackage, is_ofd, write_package
from esign.ofd.xml import NS, OFD_NS, parse_xml

__all__ = ["MAX_ENTRIES", "NS", "OFD_NS", "OfdPackage", "is_ofd", "parse_xml", "write_package"]
