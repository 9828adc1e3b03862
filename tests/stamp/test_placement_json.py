"""The placement codec: the JSON of the API, the desk, the CLI and the stored rows, to typed placements and back."""

from __future__ import annotations

import json

import pytest

from esign.errors import InputError
from esign.stamp import (
    AtKeyword,
    AtPosition,
    InField,
    placement_from_dict,
    placement_from_json,
    placement_to_dict,
    placement_to_json,
    with_keywords,
)

PLACEMENTS = [
    AtPosition(page=-1, x_mm=150, y_mm=240),
    AtPosition(page=2, x_mm=20.5, y_mm=30, riding_seal=True, riding_y_mm=100, also_on_pages=(1, -1)),
    AtKeyword(),
    AtKeyword("（盖章）"),
    AtKeyword(("准予行政许可", "（盖章）"), page=-1, offset_x_mm=5, offset_y_mm=-3),
    AtKeyword(riding_seal=True, also_on_pages=(1,)),
    InField(name="Signature1"),
    InField(name="审批意见", also_on_pages=(3,)),
]


@pytest.mark.parametrize("placement", PLACEMENTS, ids=repr)
def test_every_placement_reads_back_equal(placement):
    assert placement_from_dict(placement_to_dict(placement)) == placement
    assert placement_from_json(placement_to_json(placement)) == placement


def test_the_canonical_form_spells_only_what_is_not_the_default():
    assert placement_to_dict(AtKeyword()) == {"mode": "keyword"}
    assert placement_to_dict(AtKeyword("（盖章）")) == {"mode": "keyword", "text": "（盖章）"}
    assert placement_to_dict(AtKeyword(("甲", "乙"), page=2)) == {"mode": "keyword", "text": ["甲", "乙"], "page": 2}
    assert placement_to_dict(AtPosition(page=-1, x_mm=150, y_mm=240, riding_seal=True)) == {
        "mode": "position",
        "page": -1,
        "x_mm": 150.0,
        "y_mm": 240.0,
        "riding_seal": True,
    }
    assert placement_to_json(InField(name="签名", also_on_pages=(2,))) == (
        '{"also_on_pages": [2], "mode": "field", "name": "签名"}'
    )


@pytest.mark.parametrize(
    ("stored", "placement"),
    [  # shapes written before the codec: the API's JSON as sent, the desk's and the CLI's dicts
        ({"mode": "keyword"}, AtKeyword()),
        ({}, AtKeyword()),
        ({"mode": "keyword", "riding_seal": False}, AtKeyword()),
        ({"mode": "keyword", "text": "", "riding_seal": True}, AtKeyword(riding_seal=True)),
        ({"mode": "keyword", "text": "事由", "page": None, "offset_x_mm": 0}, AtKeyword("事由")),
        ({"mode": "keyword", "text": "（盖章）", "page": 2}, AtKeyword("（盖章）", page=2)),
        (
            {"mode": "position", "page": 1, "x_mm": 60, "y_mm": 200.0, "riding_seal": False},
            AtPosition(page=1, x_mm=60, y_mm=200),
        ),
        ({"mode": "position", "x_mm": 150, "y_mm": 240}, AtPosition(page=-1, x_mm=150, y_mm=240)),
        ({"mode": "position", "page": 3.0, "x_mm": 1, "y_mm": 2}, AtPosition(page=3, x_mm=1, y_mm=2)),
        (
            {"mode": "keyword", "riding_seal": True, "also_on_pages": [1]},
            AtKeyword(riding_seal=True, also_on_pages=(1,)),
        ),
        ({"mode": "field", "name": "Signature1", "extra": "ignored"}, InField(name="Signature1")),
    ],
)
def test_placements_stored_before_read_as_they_did(stored, placement):
    assert placement_from_json(json.dumps(stored, ensure_ascii=False)) == placement


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]",
        "not json",
        '{"mode": "nowhere"}',
        '{"mode": "position", "x_mm": 1}',
        '{"mode": "position", "page": 1e999, "x_mm": 10, "y_mm": 10}',
        '{"mode": "position", "x_mm": NaN, "y_mm": 10}',
        '{"mode": "keyword", "riding_seal": "yes"}',
        '{"mode": "keyword", "text": [1, 2]}',
        '{"mode": "field", "name": {"a": 1}}',
        '{"mode": "keyword", "riding_y_mm": "top"}',
    ],
)
def test_malformed_json_is_bad_placement(text):
    with pytest.raises(InputError) as caught:
        placement_from_json(text)
    assert caught.value.code == "bad_placement"


def test_a_constructor_refusal_keeps_its_own_code():
    with pytest.raises(InputError) as caught:
        placement_from_dict({"mode": "position", "page": 0, "x_mm": 10, "y_mm": 10})
    assert caught.value.code == "page_out_of_range"


@pytest.mark.parametrize(
    "make",
    [
        lambda: AtPosition(page=1, x_mm=20_000, y_mm=10),
        lambda: AtPosition(page=200_000, x_mm=10, y_mm=10),
        lambda: AtKeyword("字" * 101),
        lambda: AtKeyword(tuple(f"词{i}" for i in range(21))),
        lambda: AtKeyword("盖\x00章"),
        lambda: InField(name=""),
    ],
)
def test_what_the_codec_would_refuse_cannot_be_built(make):
    """A placement that exists can be stored and read back: the constructors hold the codec's bounds."""
    with pytest.raises(InputError):
        make()


def test_a_keyword_placement_without_text_takes_the_townships_keywords():
    township = ("（盖章）", "蒲县克城镇人民政府", "克城镇")
    assert with_keywords(AtKeyword(page=2), township) == AtKeyword(township, page=2)
    assert with_keywords(AtKeyword("事由"), township) == AtKeyword("事由")
    position = AtPosition(page=1, x_mm=10, y_mm=10)
    assert with_keywords(position, township) is position
    with pytest.raises(TypeError):
        AtKeyword().candidates  # noqa: B018  (unresolvable until the township's keywords are given)
