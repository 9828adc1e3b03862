"""Catalogs: parsing the seed documents, the committed samples, and JSON/CSV/XLSX import."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from esign.errors import InputError, TooLargeError
from esign.registry.catalog import (
    ITEM_TYPES,
    CatalogItem,
    ItemType,
    dump_catalog_csv,
    dump_catalog_json,
    load_catalog,
    normalize_item_type,
)
from esign.registry.catalog_parse import SEED_PARSERS, ParsedCatalog, parse_xiangyuan

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
SAMPLES = REPO / "samples" / "catalogs"


def _seed(prefix: str) -> tuple[str, str]:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if len(matches) != 1:
        pytest.skip(f"seed document {prefix}_*.txt not found in {SEEDS} (the shared seeds are not mounted)")
    return matches[0].name, matches[0].read_text(encoding="utf-8")


def _parsed() -> dict[str, tuple[str, ParsedCatalog]]:
    out = {}
    for prefix, parse in SEED_PARSERS.items():
        name, text = _seed(prefix)
        for cat in parse(text):
            out[cat.key] = (name, cat)
    return out


def _committed() -> dict[str, ParsedCatalog]:
    """The catalogs as committed in samples/catalogs (what a fresh parse wrote there)."""
    out = {}
    for path in sorted(SAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        items = tuple(load_catalog(path.read_bytes(), filename=path.name))
        fields = {k: data[k] for k in ("key", "county", "document", "annex", "title")}
        out[data["key"]] = ParsedCatalog(**fields, items=items, notes=tuple(data["notes"]))
    return out


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedCatalog]:
    """The seed documents parsed, where they are mounted; else the committed catalogs, which
    test_committed_samples_equal_a_fresh_parse holds equal to a fresh parse wherever the seeds are."""
    if not all(len(sorted(SEEDS.glob(f"{prefix}_*.txt"))) == 1 for prefix in SEED_PARSERS):
        return _committed()
    return {key: cat for key, (_, cat) in _parsed().items()}


# --- parsing the seed documents ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "count"),
    [("puxian_provincial", 114), ("xiangyuan_town", 99), ("xiangyuan_village", 43), ("mianxian_town", 158)],
)
def test_counts(parsed: dict[str, ParsedCatalog], key: str, count: int) -> None:
    items = parsed[key].items
    assert len(items) == count
    assert [it.number for it in items] == list(range(1, count + 1))


def test_puxian_rows(parsed: dict[str, ParsedCatalog]) -> None:
    cat = parsed["puxian_provincial"]
    assert cat.title == "省定乡级第一批政务服务事项清单"
    items = {it.number: it for it in cat.items}
    assert items[1] == CatalogItem(1, "老年人高龄补贴发放", "公共服务", mode="受理", level="乡级")
    assert items[2].mode == "受理、审核" and items[2].type == "行政给付"
    assert items[5] == CatalogItem(5, "农村五保申请初审并转报", "公共服务", mode="受理、初审", level="乡级")
    assert items[7].mode == ""  # 内地居民结婚登记: no remark
    assert items[29].name == "求职创业补贴申领"  # first row after a repeated header
    assert items[42].name == "城乡居民基本养老保险变更登记(性别、民族、居住地址、联系电话变更)"
    assert items[74] == CatalogItem(74, "再生育涉及病残儿医学鉴定", "行政确认", mode="复核", level="乡级")
    assert items[114] == CatalogItem(114, "兵役登记", "行政确认", level="乡级")
    assert {it.level for it in cat.items} == {"乡级"}
    assert cat.notes == ("表头在分页处重复 3 次，已跳过",)


def test_xiangyuan_town_rows(parsed: dict[str, ParsedCatalog]) -> None:
    cat = parsed["xiangyuan_town"]
    items = {it.number: it for it in cat.items}
    assert items[1] == CatalogItem(1, "老年人高龄补贴发放", "公共服务", mode="受理", level="镇级")
    # Wrapped onto a second line in the text.
    assert items[34].name == "城乡居民基本养老保险变更登记（性别、民族、居住地址、联系电话变更）"
    assert items[34].mode == "受理"
    assert items[72].mode == "复核"
    assert items[97] == CatalogItem(
        97, "个人之间、个人与单位之间发生的林木所有权和林地使用权争议处理", "行政裁决", level="镇级"
    )
    assert items[99] == CatalogItem(99, "对本乡镇户籍生活无着流浪乞讨人员的救助及安置", "其他权力", level="镇级")
    assert any("序号 34" in n for n in cat.notes)


def test_xiangyuan_town_matches_the_documents_own_summary(parsed: dict[str, ParsedCatalog]) -> None:
    # The body says: 99 项（含公共服务51项、行政确认18项、行政给付22项、其他行政权力5项、行政裁决1项、行政许可2项）
    counts = Counter(it.type for it in parsed["xiangyuan_town"].items)
    counts["其他行政权力"] += counts.pop("其他权力")
    assert counts == {"公共服务": 51, "行政确认": 18, "行政给付": 22, "其他行政权力": 5, "行政裁决": 1, "行政许可": 2}


def test_xiangyuan_village_rows(parsed: dict[str, ParsedCatalog]) -> None:
    cat = parsed["xiangyuan_village"]
    items = {it.number: it for it in cat.items}
    assert items[1] == CatalogItem(1, "兵役登记", "行政确认", mode="初审或帮办代办", level="村级")
    assert items[4].name == "出具申请收养当事人有（无）子女证明"
    assert items[6].type == "行政征收"
    assert items[43] == CatalogItem(43, "贫困户危房、旧房加固维修", "其他权力", mode="初审或帮办代办", level="村级")
    # 村级服务事项43项（含公共服务21项、行政确认5项、行政给付5项、行政征收1项、其他权力11项）
    assert Counter(it.type for it in cat.items) == {
        "公共服务": 21,
        "行政确认": 5,
        "行政给付": 5,
        "行政征收": 1,
        "其他权力": 11,
    }


def test_mianxian_rows(parsed: dict[str, ParsedCatalog]) -> None:
    cat = parsed["mianxian_town"]
    items = {it.number: it for it in cat.items}
    assert items[1] == CatalogItem(
        1,
        "公共场所卫生许可、延续、变更、注销（直接划转）",
        "行政许可",
        department="行政审批服务局",
        code="000123020000",
        published=True,
    )
    # Department inherited from the merged cell above.
    assert items[2].department == "行政审批服务局" and items[2].published is False and items[2].code == ""
    assert items[13].type == "其他行政权力" and items[13].code == "611013059000"  # printed 其它行政权力
    assert items[33].code == "00201430200Y"
    assert items[46].type == "行政许可（行政给付）" and items[46].types == (ItemType.LICENSING, ItemType.BENEFIT)
    assert items[57].type == "公共服务（行政给付）"  # printed with half-width parentheses
    # Shifted rows, placed by content.
    assert (items[59].department, items[59].name) == ("退役军人事务局", "残疾军人年审工作")
    assert (items[60].department, items[60].name) == ("退役军人事务局", "伤残人民警察年审工作")
    assert items[60].type == "公共服务"
    assert (items[74].department, items[74].name) == ("市场监管局", "个体工商户设立、变更、补发、换发、注销")
    assert items[74].published is True and items[74].code == ""
    assert (items[76].department, items[76].code) == ("市场监管局", "610123070000")
    assert items[79].name == "3.15国际消费者权益保护日宣传咨询服务"
    assert items[67].name == "年满60周岁农村籍退役士兵年审工作"
    assert (items[83].department, items[83].name) == ("卫健局", "计划生育技术服务人员执业证书核发")
    assert (items[100].department, items[100].type) == ("公安局", "公共服务（行政确认）")
    assert items[101].department == "公安局"
    assert items[158] == CatalogItem(
        158, "征兵咨询服务和应征公民审核转报", "其他类审核转报", department="武装部", published=False
    )
    assert len({it.department for it in cat.items}) == 25
    assert all(it.department for it in cat.items)


def test_every_parsed_type_is_known(parsed: dict[str, ParsedCatalog]) -> None:
    for cat in parsed.values():
        for it in cat.items:
            assert it.types and all(t in ITEM_TYPES for t in it.types)


def test_parser_refuses_a_line_it_cannot_place() -> None:
    _, text = _seed("002")
    broken = text.replace("\t53\n", "53\n", 1)  # a row number without its leading tab
    with pytest.raises(InputError) as info:
        parse_xiangyuan(broken)
    assert info.value.code == "catalog_parse_failed"


# --- the committed samples --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["puxian_provincial", "xiangyuan_town", "xiangyuan_village", "mianxian_town"])
def test_committed_samples_equal_a_fresh_parse(key: str) -> None:
    source_file, cat = _parsed()[key]
    json_bytes = (SAMPLES / f"{key}.json").read_bytes()
    assert json_bytes == cat.to_json(source_file=source_file), "rerun scripts/parse_catalogs.py"
    assert (SAMPLES / f"{key}.csv").read_bytes() == cat.to_csv(), "rerun scripts/parse_catalogs.py"
    assert load_catalog(json_bytes, filename=f"{key}.json") == list(cat.items)
    assert load_catalog((SAMPLES / f"{key}.csv").read_bytes(), filename=f"{key}.csv") == list(cat.items)


# --- the item model ---------------------------------------------------------------------------


def test_item_rejects_unknown_type_naming_the_row() -> None:
    with pytest.raises(InputError) as info:
        CatalogItem(7, "某事项", "行政审批")
    assert info.value.code == "catalog_item_invalid"
    assert "序号 7" in info.value.message_zh and "行政审批" in info.value.message_zh
    assert "number 7" in info.value.message_en
    assert "行政许可" in info.value.message_zh  # lists what is known


@pytest.mark.parametrize(
    "kwargs",
    [
        {"number": 0},
        {"number": True},
        {"name": ""},
        {"name": " 前后空白 "},
        {"name": "换\n行"},
        {"type": "公共服务（未知）"},
        {"type": "公共服务(行政给付)"},  # only the normalised spelling is stored
        {"level": "火星级"},
        {"code": "abc"},
        {"published": "是"},
    ],
)
def test_item_validation(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"number": 1, "name": "临时救助", "type": "行政给付"} | kwargs
    with pytest.raises(InputError):
        CatalogItem(**fields)  # type: ignore[arg-type]


def test_normalize_item_type() -> None:
    assert normalize_item_type(" 其它行政权力 ") == "其他行政权力"
    assert normalize_item_type("公共服务(行政给付)") == "公共服务（行政给付）"
    assert CatalogItem(1, "x", "公共服务（行政确认）").types == (ItemType.PUBLIC_SERVICE, ItemType.CONFIRMATION)


# --- CSV / XLSX / JSON import -----------------------------------------------------------------

GOOD_CSV = (
    "序号,事项名称,事项类型,办理方式,层级,实施部门,事项编码\n"
    "1,临时救助,行政给付,受理、审核,乡级,民政局,\n"
    "2,兵役登记,行政确认,,乡级,武装部,000123020000\n"
)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_good(bom: bytes) -> None:
    items = load_catalog(bom + GOOD_CSV.encode(), filename="目录.csv")
    assert items == [
        CatalogItem(1, "临时救助", "行政给付", mode="受理、审核", level="乡级", department="民政局"),
        CatalogItem(2, "兵役登记", "行政确认", level="乡级", department="武装部", code="000123020000"),
    ]


def test_csv_english_headers_extra_columns_title_row_and_blank_lines() -> None:
    data = (
        "某镇便民服务事项目录,,,,\n"
        "\n"
        "Number,Name,Type,Remark,Published\n"
        "1,临时救助,其它行政权力,whatever,是\n"
        ",,,,\n"
        "2,兵役登记, 公共服务(行政确认) ,,否\n"
    ).encode()
    items = load_catalog(data, filename="x.CSV")
    assert [(it.number, it.type, it.published) for it in items] == [
        (1, "其他行政权力", True),
        (2, "公共服务（行政确认）", False),
    ]


def test_csv_bad_rows_are_all_reported_with_row_numbers() -> None:
    data = (
        "序号,事项名称,事项类型,层级\n"
        "1,临时救助,行政给付,乡级\n"
        "2,,行政给付,乡级\n"  # line 3: no name
        "3,某事项,行政审批,乡级\n"  # line 4: unknown type
        "1,重复,公共服务,\n"  # line 5: number repeats line 2
        "x,某事项,公共服务,火星级\n"  # line 6: bad number and level
    ).encode()
    with pytest.raises(InputError) as info:
        load_catalog(data, filename="bad.csv")
    err = info.value
    assert err.code == "catalog_row_invalid"
    assert err.data["count"] == 4 and err.data["rows"] == [3, 4, 5, 6]
    zh, en = err.message_zh, err.message_en
    assert "第 3 行：事项名称为空" in zh and "row 3: name is empty" in en
    assert "第 4 行：事项类型“行政审批”未知" in zh and "row 4: unknown item type '行政审批'" in en
    assert "已知事项类型" in zh
    assert "第 5 行：序号 1 与第 2 行重复" in zh and "row 5: number 1 repeats row 2" in en
    assert "第 6 行" in zh and "火星级" in zh


def test_error_list_is_capped() -> None:
    rows = "".join(f"{n},事项{n},不存在的类型\n" for n in range(1, 31))
    with pytest.raises(InputError) as info:
        load_catalog(("序号,事项名称,事项类型\n" + rows).encode(), filename="many.csv")
    err = info.value
    assert err.data["count"] == 30
    assert "第 21 行" in err.message_zh and "第 22 行" not in err.message_zh
    assert "另有 10 行" in err.message_zh and "10 more not listed" in err.message_en


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("事项名称,事项类型\n临时救助,行政给付\n".encode(), "表头"),
        ("序号,事项名称\n1,临时救助\n".encode(), "事项类型"),
        ("序号,事项名称,事项类型\n".encode(), "没有事项"),
        ("序号,事项名称,事项类型\n1,临时救助,行政给付\n".encode("gbk"), "UTF-8"),
        ("序号,事项名称,Name,事项类型\n".encode(), "重复"),
    ],
)
def test_csv_file_level_errors(data: bytes, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        load_catalog(data, filename="f.csv")
    assert info.value.code == "catalog_invalid"
    assert fragment in info.value.message_zh


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_good() -> None:
    data = _xlsx(
        [
            ["蒲县某镇便民服务事项目录"],
            ["序号", "事项名称", "事项类型", "办理方式", "办理层级", "实施部门", "事项编码", "备注"],
            [1, "临时救助", "行政给付", "受理、审核", "乡级", "民政局", None, "备注被忽略"],
            [],
            [2.0, "兵役登记", "行政确认", None, "乡级", None, "000123020000", None],
        ]
    )
    assert load_catalog(data, filename="目录.xlsx") == [
        CatalogItem(1, "临时救助", "行政给付", mode="受理、审核", level="乡级", department="民政局"),
        CatalogItem(2, "兵役登记", "行政确认", level="乡级", code="000123020000"),
    ]


def test_xlsx_bad_rows_use_sheet_row_numbers() -> None:
    data = _xlsx(
        [
            ["标题"],
            ["序号", "事项名称", "事项类型"],
            [1, "临时救助", "行政给付"],
            [2, "某事项", "未知"],
            [3.5, "某事项", "公共服务"],
        ]
    )
    with pytest.raises(InputError) as info:
        load_catalog(data, filename="bad.xlsx")
    assert info.value.code == "catalog_row_invalid"
    assert info.value.data["rows"] == [4, 5]
    assert "第 4 行：事项类型“未知”未知" in info.value.message_zh
    assert "第 5 行：序号“3.5”" in info.value.message_zh


def test_xlsx_not_a_workbook() -> None:
    with pytest.raises(InputError) as info:
        load_catalog(b"PK\x03\x04 not really a zip", filename="x.xlsx")
    assert info.value.code == "catalog_invalid"


def test_format_sniffed_when_extension_unknown() -> None:
    data = _xlsx([["序号", "事项名称", "事项类型"], [1, "临时救助", "行政给付"]])
    assert len(load_catalog(data, filename="upload")) == 1
    assert len(load_catalog(b'[{"number": 1, "name": "a", "type": "\\u516c\\u5171\\u670d\\u52a1"}]', filename="u")) == 1
    with pytest.raises(InputError):
        load_catalog(b"\x00\x01", filename="catalog.pdf")


def test_json_round_trip_and_errors() -> None:
    items = [
        CatalogItem(1, "临时救助", "行政给付", mode="受理", level="乡级"),
        CatalogItem(2, "居住证", "公共服务（行政确认）", department="公安局", published=True),
    ]
    data = dump_catalog_json(items, meta={"title": "测试"})
    doc = json.loads(data)
    assert doc["format"] == "esign-catalog/1" and doc["count"] == 2 and doc["title"] == "测试"
    assert load_catalog(data, filename="c.json") == items
    assert load_catalog(dump_catalog_csv(items), filename="c.csv") == items

    doc["items"][1]["type"] = "行政命令"
    doc["items"].append("not an object")
    with pytest.raises(InputError) as info:
        load_catalog(json.dumps(doc).encode(), filename="c.json")
    assert info.value.data["rows"] == [2, 3]
    assert "第 2 项" in info.value.message_zh and "item 3: not an object" in info.value.message_en

    for bad in (b"{", b'{"format": "other/9", "items": []}', b'{"items": 5}'):
        with pytest.raises(InputError) as info:
            load_catalog(bad, filename="c.json")
        assert info.value.code == "catalog_invalid"


def test_too_large() -> None:
    with pytest.raises(TooLargeError):
        load_catalog(b" " * (10 * 1024 * 1024 + 1), filename="big.csv")
