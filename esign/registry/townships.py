"""The county and its townships (乡 / 镇 / 街道)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import ConflictError, InputError, NotFoundError
from esign.registry.models import County, Township
from esign.registry.uscc import validate_uscc
from esign.text import as_id, bad_character, clean_text, optional_text

__all__ = [
    "SEAL_TITLES",
    "add_township",
    "create_county",
    "find_township",
    "get_county",
    "list_townships",
    "organisation_name",
    "seal_full_name",
]

#: Seal titles the seed documents name; the first is the default (蒲县, 新县), the others 融安县's.
SEAL_TITLES = ("行政审批服务专用章", "行政审批（服务）专用章", "政务服务专用章")

_KINDS = ("乡", "镇", "街道")
#: Longest county and township name accepted (real ones, e.g. 融水苗族自治县, 城关回族镇, are far shorter).
#: With the longest title and 人民政府, a seal's full name stays within X.520's 64-character
#: commonName (20 + 20 + 4 + 11 = 55 characters), its organisation within 64.
_NAME_LIMIT = 20
_REGION_RE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


def create_county(
    session: Session,
    name: str,
    *,
    province: str,
    city: str,
    office: str,
    at: dt.datetime,
    seal_title: str = SEAL_TITLES[0],
) -> County:
    """Create the county this deployment serves (one per data home)."""
    if session.scalar(select(County)) is not None:
        raise ConflictError(
            "本数据目录已经初始化了一个县。", "This data home already has a county.", code="county_exists"
        )
    name = clean_text(name, field="county", zh="县名", limit=_NAME_LIMIT)
    if not name.endswith(("县", "区", "市", "旗")):
        raise InputError(
            f"县名“{name}”应以“县”“区”“市”或“旗”结尾。", f"County name {name!r} looks wrong.", field="county"
        )
    _check_title(seal_title)
    county = County(name=name, province=province, city=city, office=office, seal_title=seal_title, created_at=at)
    session.add(county)
    session.flush()
    return county


def get_county(session: Session) -> County:
    """The county of this data home."""
    county = session.scalar(select(County))
    if county is None:
        raise NotFoundError(
            "尚未初始化县信息，请先运行 esign init。", "No county yet: run `esign init`.", code="no_county"
        )
    return county


def _check_title(title: str) -> None:
    if title not in SEAL_TITLES:
        raise InputError(
            f"印章名称后缀“{title}”不在允许范围内：{'、'.join(SEAL_TITLES)}。",
            f"Seal title {title!r} is not one of {', '.join(SEAL_TITLES)}.",
            code="invalid_seal_title",
            field="seal_title",
        )


def add_township(
    session: Session,
    name: str,
    *,
    uscc: str,
    region_code: str,
    at: dt.datetime,
    address: str = "",
    phone: str = "",
) -> Township:
    """Add a township of the county; its kind (乡/镇/街道) follows from its name."""
    county = get_county(session)
    name = clean_text(name, field="name", zh="乡镇名称", limit=_NAME_LIMIT)
    address = optional_text(address, field="address", zh="地址", limit=200)
    phone = optional_text(phone, field="phone", zh="电话", limit=40)
    uscc = clean_text(uscc, field="uscc", zh="统一社会信用代码", limit=18)
    region_code = clean_text(region_code, field="region_code", zh="区划代码", limit=12)
    kind = next((k for k in _KINDS if name.endswith(k) and len(name) > len(k)), None)
    if kind is None:
        raise InputError(
            f"乡镇名称“{name}”应以“乡”“镇”或“街道”结尾。",
            f"Township name {name!r} must end in 乡, 镇 or 街道.",
            code="invalid_township_name",
            field="name",
        )
    code = validate_uscc(uscc).code
    if not _REGION_RE.match(region_code):
        raise InputError(
            f"区划代码“{region_code}”应为6、9或12位数字。",
            f"Region code {region_code!r} must be 6, 9 or 12 digits.",
            code="invalid_region_code",
            field="region_code",
        )
    if session.scalar(select(Township).where(Township.name == name)) is not None:
        raise ConflictError(f"乡镇“{name}”已存在。", f"Township {name!r} already exists.", code="township_exists")
    if session.scalar(select(Township).where(Township.uscc == code)) is not None:
        raise ConflictError(
            f"统一社会信用代码 {code} 已被其他乡镇使用。", f"USCC {code} is already used.", code="uscc_exists"
        )
    township = Township(
        county_id=county.id,
        name=name,
        kind=kind,
        uscc=code,
        region_code=region_code,
        address=address,
        phone=phone,
        created_at=at,
    )
    session.add(township)
    session.flush()
    return township


def find_township(session: Session, ref: str | int) -> Township:
    """A township by id or by name (克城镇)."""
    township: Township | None = None
    row_id = as_id(ref)
    if row_id is not None:
        township = session.get(Township, row_id)
    elif isinstance(ref, str) and bad_character(ref) is None:  # no stored name holds a control character
        township = session.scalar(select(Township).where(Township.name == ref.strip()))
    if township is None:
        raise NotFoundError(f"乡镇“{ref}”不存在。", f"No township {ref!r}.", code="township_not_found")
    return township


def list_townships(session: Session, *, only: set[int] | None = None) -> list[Township]:
    """All townships (or those in ``only``), by name."""
    query = select(Township).order_by(Township.id)
    if only is not None:
        query = query.where(Township.id.in_(only))
    return list(session.scalars(query))


def organisation_name(township: Township) -> str:
    """The township government's name as printed on the seal: 蒲县克城镇人民政府 / 新县XX街道办事处."""
    suffix = "办事处" if township.kind == "街道" else "人民政府"
    return f"{township.county.name}{township.name}{suffix}"


def seal_full_name(township: Township, title: str) -> str:
    """The seal's full legal name: 蒲县克城镇人民政府行政审批服务专用章."""
    _check_title(title)
    return organisation_name(township) + title
