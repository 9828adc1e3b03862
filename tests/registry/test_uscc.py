"""GB 32100 unified social credit codes: structure, both check characters, normalisation."""

from __future__ import annotations

import dataclasses

import pytest

from esign.errors import InputError
from esign.registry.uscc import (
    USCC,
    USCC_ALPHABET,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_uscc,
)

# Published codes of well-known companies (printed on their business licences).
REAL = [
    "914403001922038216",  # 华为技术有限公司, organisation code 19220382-1
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司, organisation code 71526726-X
    "91110000600037341L",  # the example in python-stdnum and many validators
]


def _error(code: str, **kw: bool) -> InputError:
    with pytest.raises(InputError) as info:
        validate_uscc(code, **kw)
    assert info.value.code == "invalid_uscc"
    return info.value


@pytest.mark.parametrize("code", REAL)
def test_real_codes_validate(code: str) -> None:
    u = validate_uscc(code)
    assert u.code == code
    assert u.registration_authority + u.org_type + u.region + u.org_code + u.check == code
    assert str(u) == code


def test_parts() -> None:
    u = validate_uscc("9144030071526726XG")
    assert (u.registration_authority, u.org_type, u.region) == ("9", "1", "440300")
    assert (u.org_code, u.check) == ("71526726X", "G")
    assert u.org_code_display == "71526726-X"
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.code = "x"  # type: ignore[misc]


def test_check_char_matches_published_codes() -> None:
    for code in REAL:
        assert uscc_check_char(code[:17]) == code[17]
        assert org_code_check_char(code[8:16]) == code[16]


def test_org_code_check_char_special_values() -> None:
    # 11 - (sum mod 11): 10 is written X (腾讯), 11 is written 0.
    assert org_code_check_char("71526726") == "X"
    zero = next(f"{n:08d}" for n in range(10_000) if org_code_check_char(f"{n:08d}") == "0")
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    assert sum(int(c) * w for c, w in zip(zero, weights, strict=True)) % 11 == 0


def test_check_char_zero_when_sum_divisible() -> None:
    # (31 - 0) % 31 == 0 must give "0", not index 31.
    assert uscc_check_char("0" * 17) == "0"


@pytest.mark.parametrize("length", [0, 17, 19])
def test_wrong_length(length: int) -> None:
    code = ("914403001922038216" * 2)[:length]
    err = _error(code)
    assert err.data["kind"] == "length"
    assert "18" in err.message_zh and "18" in err.message_en
    assert str(length) in err.message_zh


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_forbidden_letters_name_position(letter: str) -> None:
    code = "9144030071526726X" + letter
    err = _error(code)
    assert err.data == {"kind": "char", "position": 18, "char": letter}
    assert "第 18 位" in err.message_zh and letter in err.message_zh
    assert "character 18" in err.message_en and "I, O, Z, S, V" in err.message_en


def test_other_bad_character() -> None:
    err = _error("91440300-1526726XG")
    assert err.data["position"] == 9
    assert "“-”" in err.message_zh


def test_region_must_be_digits() -> None:
    prefix = "9144A300" + "71526726X"
    err = _error(prefix + uscc_check_char(prefix))
    assert err.data == {"kind": "region", "position": 5}
    assert "第 5 位" in err.message_zh and "3-8" in err.message_en


def test_wrong_check_char_names_expected() -> None:
    err = _error("914403001922038217")
    assert err.data == {"kind": "check", "position": 18, "expected": "6"}
    assert "应为“6”" in err.message_zh and "实为“7”" in err.message_zh
    assert "should be '6'" in err.message_en


def test_every_single_substitution_is_caught() -> None:
    # The mod-31 check catches every one-character change; none may slip through.
    good = REAL[1]
    for pos in range(18):
        for ch in USCC_ALPHABET:
            if ch == good[pos]:
                continue
            with pytest.raises(InputError):
                validate_uscc(good[:pos] + ch + good[pos + 1 :], check_org_code=False)


def test_org_code_check_is_reported_distinctly() -> None:
    # Position 17 wrong, position 18 recomputed so that only the GB 11714 check fails.
    prefix = "9144030071526726" + "1"
    code = prefix + uscc_check_char(prefix)
    err = _error(code)
    assert err.data == {"kind": "org_code_check", "position": 17, "expected": "X"}
    assert "组织机构代码" in err.message_zh and "organisation code" in err.message_en
    # Skipping it still checks position 18.
    assert validate_uscc(code, check_org_code=False).code == code
    assert _error(code[:17] + "0", check_org_code=False).data["kind"] == "check"


def test_lowercase_and_fullwidth_are_normalised() -> None:
    assert validate_uscc("9144030071526726xg").code == "9144030071526726XG"
    assert validate_uscc("  9144030071526726XG\n").code == "9144030071526726XG"
    assert validate_uscc("９１４４０３００７１５２６７２６ＸＧ").code == "9144030071526726XG"
    # Lower-case forbidden letters are still forbidden, reported in upper case.
    assert _error("9144030071526726Xo").data["char"] == "O"


def test_inner_space_is_not_removed() -> None:
    assert _error("91440300 71526726XG").data["kind"] == "length"
    assert _error("9144030 71526726XG").data == {"kind": "char", "position": 8, "char": " "}


def test_make_uscc_appends_check_char() -> None:
    body = "MA01A0B7"
    u = make_uscc("91110108" + body + org_code_check_char(body))
    assert u.code[:17] == "91110108MA01A0B7X"
    assert validate_uscc(u.code) == u
    assert make_uscc("9144030071526726x").code == "9144030071526726XG"


def test_make_uscc_rejects_bad_prefix() -> None:
    with pytest.raises(InputError) as info:
        make_uscc("914403007152672")
    assert info.value.data["kind"] == "length"
    with pytest.raises(InputError) as info:
        make_uscc("91440300715267261")  # wrong GB 11714 char
    assert info.value.data["kind"] == "org_code_check"
    assert make_uscc("91440300715267261", check_org_code=False).code[:17] == "91440300715267261"


def test_hand_built_instance_must_be_consistent() -> None:
    with pytest.raises(InputError):
        USCC(
            code="9144030071526726XG",
            registration_authority="9",
            org_type="1",
            region="440300",
            org_code="71526726X",
            check="H",
        )


def test_error_is_serialisable() -> None:
    d = _error("914403001922038217").to_dict()
    assert d["code"] == "invalid_uscc" and d["field"] == "uscc"
    assert d["data"]["expected"] == "6"
