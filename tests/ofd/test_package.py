"""esign.ofd.package: the samples read, hostile packages refused with their own 4xx code."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from esign.budget import Budget
from esign.errors import InputError, TooComplexError
from esign.ofd import OFD_NS, OfdPackage, is_ofd, write_package
from tests.ofd import hostile
from tests.ofd.conftest import sample


@pytest.mark.parametrize("name", ["helloworld.ofd", "Page5.ofd", "keyword.ofd", "SESV4SignDoc.ofd"])
def test_samples_read_byte_exact(name: str) -> None:
    data = sample(name)
    pkg = OfdPackage.from_bytes(data)
    assert is_ofd(data)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        expected = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    assert set(pkg.names) == set(expected)
    for n in pkg.names:
        assert hashlib.sha256(pkg.read(n)).digest() == hashlib.sha256(expected[n]).digest()
    assert pkg.doc_roots() == ("Doc_0/Document.xml",)
    assert pkg.xml("Doc_0/Document.xml").tag == f"{{{OFD_NS}}}Document"


def test_keyword_sample_old_namespace_is_normalised() -> None:
    pkg = OfdPackage.from_bytes(sample("keyword.ofd"))
    assert pkg.namespace == "http://www.ofdspec.org"
    assert pkg.xml("OFD.xml").tag == f"{{{OFD_NS}}}OFD"
    assert b"http://www.ofdspec.org/2016" not in pkg.read("OFD.xml")  # stored bytes untouched


@pytest.mark.parametrize("case", sorted(hostile.HOSTILE_OFDS))
def test_hostile_refused_with_code(case: str) -> None:
    build, code = hostile.HOSTILE_OFDS[case]
    with pytest.raises(InputError) as info:
        OfdPackage.from_bytes(build())
    assert info.value.code == code
    assert 400 <= info.value.http_status < 500
    assert info.value.message_zh and info.value.message_en
    if code == "too_complex":
        assert isinstance(info.value, TooComplexError)


def test_billion_laughs_part_refused_when_read() -> None:
    pkg = OfdPackage.from_bytes(hostile.billion_laughs())
    with pytest.raises(InputError) as info:
        pkg.xml("Doc_0/Document.xml")
    assert info.value.code == "ofd_xml_forbidden"


def test_explicit_budget_is_charged() -> None:
    data = hostile.minimal_ofd(("Doc_0/Res/a.bin", b"a" * 50_000))
    small = Budget.for_size(0).__class__(**{**Budget.for_size(0).__dict__, "decoded_bytes": 10_000})
    with pytest.raises(TooComplexError):
        OfdPackage.from_bytes(data, budget=small)
    assert OfdPackage.from_bytes(data).read("Doc_0/Res/a.bin") == b"a" * 50_000


def test_resolve_rules() -> None:
    pkg = OfdPackage.from_bytes(hostile.minimal_ofd())
    assert pkg.resolve("Doc_0/Document.xml", "Pages/Page_0/Content.xml") == "Doc_0/Pages/Page_0/Content.xml"
    assert pkg.resolve("Doc_0/Signs/Signatures.xml", "/Doc_0/Signs/Sign_0/Signature.xml") == (
        "Doc_0/Signs/Sign_0/Signature.xml"
    )
    assert pkg.resolve("Doc_0/Pages/Page_0/Content.xml", "../../Res/a.png") == "Doc_0/Res/a.png"
    for bad in ("../../../etc/passwd", "", "a\\b"):
        with pytest.raises(InputError) as info:
            pkg.resolve("Doc_0/Document.xml", bad)
        assert info.value.code == "ofd_unsafe_path"
    with pytest.raises(InputError) as info:
        pkg.read("Doc_0/missing.xml")
    assert info.value.code == "ofd_missing_part"


def test_write_package_is_deterministic_and_reads_back() -> None:
    pkg = OfdPackage.from_bytes(sample("helloworld.ofd"))
    a = write_package(pkg.files())
    b = write_package(list(pkg.files().items()))
    assert a == b
    again = OfdPackage.from_bytes(a)
    assert again.names == pkg.names and all(again.read(n) == pkg.read(n) for n in pkg.names)
    with pytest.raises(InputError):
        write_package([("../x", b"")])


def test_is_ofd_by_content_not_name() -> None:
    assert not is_ofd(b"%PDF-1.7")
    assert not is_ofd(hostile.zip_of([("word/document.xml", b"<w/>")]))
    assert is_ofd(hostile.minimal_ofd())
    assert is_ofd(hostile.duplicate_entry())  # the OFD reader answers, with its own refusal
