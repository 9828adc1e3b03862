"""esign.stamp: PDF in, stamped and signed PDF out — inputs, placement and text positions."""

from esign.stamp.geometry import Box, PageGeometry, upright_matrix
from esign.stamp.inputs import PageInfo, PdfInfo, SignatureField, inspect_pdf
from esign.stamp.placement import (
    AtKeyword,
    AtPosition,
    InField,
    Placement,
    ResolvedPlacement,
    RidingStrip,
    SealSpot,
    default_keywords,
    resolve,
    with_keywords,
)
from esign.stamp.placement_json import (
    placement_from_dict,
    placement_from_json,
    placement_to_dict,
    placement_to_json,
)
from esign.stamp.textpos import TextHit, find_text

__all__ = [
    "AtKeyword",
    "AtPosition",
    "Box",
    "InField",
    "PageGeometry",
    "PageInfo",
    "PdfInfo",
    "Placement",
    "ResolvedPlacement",
    "RidingStrip",
    "SealSpot",
    "SignatureField",
    "TextHit",
    "default_keywords",
    "find_text",
    "inspect_pdf",
    "placement_from_dict",
    "placement_from_json",
    "placement_to_dict",
    "placement_to_json",
    "resolve",
    "upright_matrix",
    "with_keywords",
]
