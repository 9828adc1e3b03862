"""The demo county's item → department mapping (samples/catalogs/puxian_departments.csv)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from esign.registry.catalog import CatalogItem, load_catalog
from esign.registry.departments import assign_departments, read_mapping

REPO = Path(__file__).resolve().parents[2]
CATALOGS = REPO / "samples" / "catalogs"


def _load(name: str) -> list[CatalogItem]:
    return load_catalog((CATALOGS / name).read_bytes(), filename=name)


def _rows() -> list[list[str]]:
    text = (CATALOGS / "puxian_departments.csv").read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))[1:]


def test_the_committed_mapping_is_what_the_script_writes():
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "assign_departments.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_demo_item_has_a_department_and_a_stated_basis():
    rows = _rows()
    items = _load("puxian_provincial.json")
    assert [int(r[0]) for r in rows] == [i.number for i in items]
    assert [r[1] for r in rows] == [i.name for i in items]
    assert all(r[2] and r[3] for r in rows), [r for r in rows if not (r[2] and r[3])]


def test_departments_taken_from_mianxian_are_the_ones_its_list_prints():
    mianxian = {i.number: i for i in _load("mianxian_town.json")}
    cited = 0
    for number, _name, department, basis in _rows():
        if basis.startswith("勉县清单第"):
            ref = mianxian[int(basis.split("第 ")[1].split(" 项")[0])]
            assert department.endswith(ref.department), (number, department, ref.department)
            cited += 1
    assert cited >= 10  # 临时救助, 就业登记, 养老保险 参保/待遇, 医疗救助 …


def test_welfare_items_belong_to_civil_affairs():
    mapping = read_mapping((CATALOGS / "puxian_departments.csv").read_bytes())
    by_name = {i.name: mapping[i.number] for i in _load("puxian_provincial.json")}
    for name in ("最低生活保障申请", "临时救助", "特困人员救助供养", "内地居民结婚登记"):
        assert by_name[name] == "县民政局", name
    assert by_name["城乡居民基本养老保险参保登记"] == "县人社局"
    assert by_name["城乡居民基本医疗保险参保登记"] == "县医保局"


def test_an_item_nothing_matches_stays_without_a_department():
    lone = CatalogItem(1, "某项从未见过的事项", "公共服务")
    (got,) = assign_departments([lone], _load("mianxian_town.json"))
    assert got.department == "" and got.basis == ""
