"""Which county department supervises each item of a catalog that does not say (蒲县's provincial list).

The demo county's list (蒲县, 蒲政发〔2023〕13号 附件1) names no implementing department; 勉县's list
(勉政办发〔2021〕94号) names one for every item. :func:`assign_departments` takes the department from
勉县's list where that list has the same item (names equal, or one contains the other, after dropping
white space and parenthesised remarks, and exactly one 勉县 item matches), and otherwise from
:data:`FIELD_RULES`, a table of the fields of administration by keywords of the item's name. Each
answer says which of the two it came from, so the mapping committed in
``samples/catalogs/puxian_departments.csv`` can be reviewed row by row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from esign.errors import InputError
from esign.registry.catalog import CatalogItem

__all__ = ["FIELD_RULES", "DepartmentAssignment", "assign_departments", "mapping_csv", "read_mapping"]

#: (keywords of the item name, county department), first match wins; for items 勉县's list lacks.
FIELD_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("医疗保险", "医疗救助"), "县医保局"),
    (("退役", "烈士", "优抚", "伤残", "参战", "军人"), "县退役军人事务局"),
    (("残疾",), "县残联"),
    (("生育", "优生", "医师", "中药", "卫生", "病残儿"), "县卫健局"),
    (
        ("养老保险", "养老金", "社保", "就业", "失业", "职业", "创业", "劳动用工", "公益性岗位", "求职", "退休人员"),
        "县人社局",
    ),
    (("灾", "安全生产"), "县应急管理局"),
    (
        ("救助", "低保", "最低生活保障", "五保", "特困", "孤儿", "低收入", "婚姻登记", "结婚登记", "离婚登记"),
        "县民政局",
    ),
    (("村民自治", "敬老院", "高龄"), "县民政局"),
    (("法律援助", "人民调解"), "县司法局"),
    (("蓄滞洪区",), "县水利局"),
    (("征地",), "县自然资源局"),
    (("退耕还林", "造林"), "县林业局"),
    (("危房改造", "住房租赁", "业主委员会", "煤改电"), "县住建局"),
    (("土地承包", "畜禽", "农业技术", "一事一议", "改厕"), "县农业农村局"),
    (("兵役",), "县人武部"),
    (("志愿者",), "团县委"),
)


@dataclass(frozen=True)
class DepartmentAssignment:
    """One item's department and where it came from."""

    number: int
    """The item's number in its catalog."""
    name: str
    """The item's name."""
    department: str
    """The county department, e.g. ``县民政局``; empty when nothing matched."""
    basis: str
    """``勉县清单第 N 项（名称）`` or ``按事项领域（关键字“…”）``; empty when nothing matched."""


def _core(name: str) -> str:
    return re.sub(r"[（(][^）)]*[）)]|\s", "", name)


def assign_departments(items: Sequence[CatalogItem], reference: Sequence[CatalogItem]) -> list[DepartmentAssignment]:
    """A department for each of ``items``: from ``reference`` (a list that names departments) where
    exactly one of its items is the same, else from :data:`FIELD_RULES`."""
    named = [r for r in reference if r.department]
    out: list[DepartmentAssignment] = []
    for item in items:
        core = _core(item.name)
        same = [r for r in named if _core(r.name) == core]
        if not same:
            same = [r for r in named if core in _core(r.name) or _core(r.name) in core]
        if len(same) == 1:
            ref = same[0]
            department = ref.department if ref.department.startswith(("县", "团县")) else "县" + ref.department
            basis = f"勉县清单第 {ref.number} 项（{ref.name}）"
            out.append(DepartmentAssignment(item.number, item.name, department, basis))
            continue
        for keywords, department in FIELD_RULES:
            hit = next((k for k in keywords if k in item.name), None)
            if hit is not None:
                out.append(DepartmentAssignment(item.number, item.name, department, f"按事项领域（关键字“{hit}”）"))
                break
        else:
            out.append(DepartmentAssignment(item.number, item.name, "", ""))
    return out


_HEADER = ("序号", "事项名称", "实施部门", "依据")


def mapping_csv(assignments: Sequence[DepartmentAssignment]) -> bytes:
    """The mapping as CSV (UTF-8 with BOM, CRLF, as the catalogs in ``samples/catalogs``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_HEADER)
    for a in assignments:
        writer.writerow((a.number, a.name, a.department, a.basis))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def read_mapping(data: bytes) -> dict[int, str]:
    """Item number → department from :func:`mapping_csv`'s format (rows without a department skipped)."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = tuple(next(rows, ()))
    if header[:3] != _HEADER[:3]:
        raise InputError(
            f"部门对照表的表头应为 {'、'.join(_HEADER[:3])}。",
            f"The department mapping's header must start with {', '.join(_HEADER[:3])}.",
            code="catalog_invalid",
        )
    return {int(r[0]): r[2].strip() for r in rows if len(r) >= 3 and r[0].strip().isdigit() and r[2].strip()}
