"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Every township government and every legal person a seal is issued to carries one. The code has
18 characters from a 31-character set (digits and upper-case Latin letters without I, O, Z, S, V):

====== =========================================================================
1      registration authority (登记管理部门代码), e.g. ``1`` 机构编制, ``5`` 民政, ``9`` 工商
2      organisation type within that authority (机构类别代码)
3–8    administrative division of the registering office (GB/T 2260, six digits)
9–17   the organisation code (主体标识码, GB 11714); position 17 is its own check character
18     the check character over positions 1–17 (weights 3^i mod 31, modulus 31)
====== =========================================================================

What :func:`validate_uscc` guarantees: the length, the character set, six digits at positions
3–8, the GB 32100 check character at position 18 and, unless ``check_org_code=False``, the
GB 11714 check character at position 17. It does **not** check that the registration authority
and organisation type are a combination the standard assigns (the table keeps growing), that the
region code exists, or that the code was ever issued.

Input is normalised before checking: surrounding white space is dropped, full-width ASCII
(``９１``, as a Chinese input method types it) becomes half-width, and lower case becomes upper
case. The canonical upper-case form is what :class:`USCC` holds and what belongs in certificates.
Positions in error messages count from 1 in that normalised text.
"""

from __future__ import annotations

from dataclasses import dataclass

from esign.errors import InputError

__all__ = [
    "USCC",
    "USCC_ALPHABET",
    "make_uscc",
    "org_code_check_char",
    "uscc_check_char",
    "validate_uscc",
]

#: The GB 32100 character set; a character's value is its index (``Y`` = 30).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FORBIDDEN = frozenset("IOZSV")

# GB 11714-1997: the eight body characters are weighted, letters count A=10 … Z=35.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CODE = "invalid_uscc"


@dataclass(frozen=True)
class USCC:
    """A unified social credit code whose structure and check characters have been verified."""

    code: str
    """The 18 characters, upper case (the canonical form)."""

    registration_authority: str
    """Position 1: the registration authority (登记管理部门代码), e.g. ``"9"`` for market regulation."""

    org_type: str
    """Position 2: the organisation type within that authority (机构类别代码)."""

    region: str
    """Positions 3–8: the GB/T 2260 division code of the registering office (登记管理机关行政区划码)."""

    org_code: str
    """Positions 9–17: the organisation code (主体标识码/组织机构代码), its own check character last."""

    check: str
    """Position 18: the GB 32100 check character."""

    def __post_init__(self) -> None:
        # Only validate_uscc builds these; re-checking keeps a hand-built instance honest.
        parts = self.registration_authority + self.org_type + self.region + self.org_code + self.check
        if parts != self.code or len(self.code) != 18 or uscc_check_char(self.code[:17]) != self.check:
            raise InputError(
                "统一社会信用代码各部分不一致",
                "the parts of the unified social credit code do not match the code",
                code=_CODE,
                field="uscc",
            )

    @property
    def org_code_display(self) -> str:
        """The organisation code as printed on old certificates: ``12345678-9``."""
        return f"{self.org_code[:8]}-{self.org_code[8]}"

    def __str__(self) -> str:
        return self.code


def uscc_check_char(prefix17: str) -> str:
    """The GB 32100 check character for 17 characters of the code's alphabet (upper case)."""
    if len(prefix17) != 17:
        raise InputError(
            f"计算校验码需要 17 位字符，实为 {len(prefix17)} 位",
            f"the check character needs 17 characters, got {len(prefix17)}",
            code=_CODE,
            field="uscc",
        )
    for pos, ch in enumerate(prefix17, start=1):
        _check_alphabet(ch, pos)
    total = sum(_VALUE[c] * w for c, w in zip(prefix17, _WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character (``0``–``9`` or ``X``) for the eight body characters of an organisation code."""
    if len(body8) != 8 or not all(c.isascii() and c.isalnum() and not c.islower() for c in body8):
        raise InputError(
            "组织机构代码本体应为 8 位数字或大写字母",
            "the organisation code body must be 8 digits or upper-case letters",
            code=_CODE,
            field="uscc",
        )
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate_uscc(code: str, *, check_org_code: bool = True) -> USCC:
    """Verify a unified social credit code and return its parts.

    ``check_org_code=False`` skips only the GB 11714 check at position 17 (for registers known to
    hold codes whose organisation code was not assigned under GB 11714); the GB 32100 check at
    position 18 is always verified. Raises :class:`~esign.errors.InputError` with code
    ``invalid_uscc``; ``data["kind"]`` says which rule failed (``length``, ``char``, ``region``,
    ``org_code_check``, ``check``) and ``data["position"]`` where.
    """
    text = _normalise(code)
    if len(text) != 18:
        raise InputError(
            f"统一社会信用代码应为 18 位，实为 {len(text)} 位",
            f"a unified social credit code has 18 characters, got {len(text)}",
            code=_CODE,
            field="uscc",
            kind="length",
            length=len(text),
        )
    for pos, ch in enumerate(text, start=1):
        _check_alphabet(ch, pos)
    for pos in range(3, 9):
        ch = text[pos - 1]
        if not ch.isdigit():
            raise InputError(
                f"第 {pos} 位字符“{ch}”不合法：第 3–8 位是行政区划码，只能是数字",
                f"character {pos} {ch!r} is not allowed: positions 3-8 are the region code and must be digits",
                code=_CODE,
                field="uscc",
                kind="region",
                position=pos,
            )
    if check_org_code:
        want = org_code_check_char(text[8:16])
        if text[16] != want:
            raise InputError(
                f"组织机构代码校验码错误：第 17 位应为“{want}”，实为“{text[16]}”",
                f"organisation code check character wrong: position 17 should be {want!r}, got {text[16]!r}",
                code=_CODE,
                field="uscc",
                kind="org_code_check",
                position=17,
                expected=want,
            )
    want = uscc_check_char(text[:17])
    if text[17] != want:
        raise InputError(
            f"校验码错误：第 18 位应为“{want}”，实为“{text[17]}”",
            f"check character wrong: position 18 should be {want!r}, got {text[17]!r}",
            code=_CODE,
            field="uscc",
            kind="check",
            position=18,
            expected=want,
        )
    return USCC(
        code=text,
        registration_authority=text[0],
        org_type=text[1],
        region=text[2:8],
        org_code=text[8:17],
        check=text[17],
    )


def make_uscc(prefix17: str, *, check_org_code: bool = True) -> USCC:
    """Complete 17 characters with their GB 32100 check character and validate the result.

    Meant for tests and demo data. With ``check_org_code`` (the default) position 17 must already
    be the right GB 11714 check character; :func:`org_code_check_char` computes it.
    """
    text = _normalise(prefix17)
    if len(text) != 17:
        raise InputError(
            f"需要统一社会信用代码的前 17 位，实为 {len(text)} 位",
            f"need the first 17 characters of the code, got {len(text)}",
            code=_CODE,
            field="uscc",
            kind="length",
            length=len(text),
        )
    return validate_uscc(text + uscc_check_char(text), check_org_code=check_org_code)


def _normalise(code: str) -> str:
    # Full-width ASCII (U+FF01-U+FF5E) maps one-to-one onto ASCII, so positions stay meaningful.
    text = code.strip().translate(_FULLWIDTH)
    return text.upper()


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _check_alphabet(ch: str, pos: int) -> None:
    if ch in _VALUE:
        return
    if ch in _FORBIDDEN:
        zh = f"第 {pos} 位字符“{ch}”不合法：统一社会信用代码不使用字母 I、O、Z、S、V"
        en = f"character {pos} {ch!r} is not allowed: the code never uses the letters I, O, Z, S, V"
    else:
        zh = f"第 {pos} 位字符“{ch}”不合法：只能是数字或大写字母"
        en = f"character {pos} {ch!r} is not allowed: only digits and upper-case letters"
    raise InputError(zh, en, code=_CODE, field="uscc", kind="char", position=pos, char=ch)
