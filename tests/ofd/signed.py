"""Signed OFDs built by code with esign.ses.sign (GB/T 33190 §18 layout as ofdrw writes it), for the
verifier's tests before and beside the stamper: a signature list, Sign_N/Signature.xml with SM3
References over every file, a StampAnnot, Seal.esl and SignedValue.dat = SES_Signature over
SM3(Signature.xml)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

from esign.ofd import OfdPackage, write_package
from esign.pki.sm2 import Sm2PrivateKey, sm3
from esign.pki.sm2_certs import Sm2Certificate
from esign.ses import sign

__all__ = ["add_signature", "signature_xml", "with_entry_annotation"]

_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _files(ofd: bytes) -> dict[str, bytes]:
    return OfdPackage.from_bytes(ofd).files()


def signature_xml(refs: dict[str, bytes], *, sign_dir: str, page_ref: str = "1", when: dt.datetime) -> bytes:
    """Signature.xml protecting ``refs`` (package path → bytes) with SM3 CheckValues."""
    items = "".join(
        f'<ofd:Reference FileRef="/{path}"><ofd:CheckValue>{base64.b64encode(sm3(data)).decode()}'
        "</ofd:CheckValue></ofd:Reference>"
        for path, data in refs.items()
    )
    stamp = f'<ofd:StampAnnot ID="1" PageRef="{page_ref}" Boundary="120 200 42 42"/>' if page_ref else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Signature {_NS}><ofd:SignedInfo>'
        '<ofd:Provider ProviderName="esign-tests" Company="esign" Version="1"/>'
        "<ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>"
        f"<ofd:SignatureDateTime>{when.strftime('%Y-%m-%d %H:%M:%S')}</ofd:SignatureDateTime>"
        f'<ofd:References CheckMethod="SM3">{items}</ofd:References>{stamp}'
        f"<ofd:Seal><ofd:BaseLoc>/{sign_dir}/Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>"
        f"<ofd:SignedValue>/{sign_dir}/SignedValue.dat</ofd:SignedValue></ofd:Signature>"
    ).encode()


def _signatures_xml(ids: list[int]) -> bytes:
    items = "".join(
        f'<ofd:Signature ID="{i}" Type="Seal" BaseLoc="/Doc_0/Signs/Sign_{i - 1}/Signature.xml"/>' for i in ids
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Signatures {_NS}><ofd:MaxSignId>{max(ids)}</ofd:MaxSignId>'
        f"{items}</ofd:Signatures>"
    ).encode()


def add_signature(
    ofd: bytes,
    *,
    seal: bytes,
    key: Sm2PrivateKey,
    cert: Sm2Certificate,
    at: dt.datetime,
    timestamper: Callable[[bytes], bytes] | None = None,
    page_ref: str = "1",
) -> bytes:
    """``ofd`` with one more signature protecting every file it has (earlier signatures' included)."""
    files = _files(ofd)
    sigs_path = "Doc_0/Signs/Signatures.xml"
    n = sum(1 for name in files if name.endswith("/Signature.xml"))
    if sigs_path not in files:
        files["OFD.xml"] = files["OFD.xml"].replace(
            b"</ofd:DocRoot>", b"</ofd:DocRoot><ofd:Signatures>/Doc_0/Signs/Signatures.xml</ofd:Signatures>"
        )
    sign_dir = f"Doc_0/Signs/Sign_{n}"
    files[f"{sign_dir}/Seal.esl"] = seal
    protected = {k: v for k, v in files.items() if k != sigs_path}
    sig_xml = signature_xml(protected, sign_dir=sign_dir, page_ref=page_ref, when=at)
    value = sign(
        data=sig_xml,
        property_info=f"/{sign_dir}/Signature.xml",
        seal=seal,
        signer_key=key,
        signer_cert=cert.der,
        timestamper=timestamper,
        at=at,
    )
    files[f"{sign_dir}/Signature.xml"] = sig_xml
    files[f"{sign_dir}/SignedValue.dat"] = value
    files[sigs_path] = _signatures_xml(list(range(1, n + 2)))
    return write_package(files)


def with_entry_annotation(ofd: bytes, entry_id: str, *, base_url: str = "https://esign.example") -> bytes:
    """``ofd`` with a QR link annotation on page 1 naming the register entry (as the stamper leaves it)."""
    files = _files(ofd)
    files["Doc_0/Document.xml"] = files["Doc_0/Document.xml"].replace(
        b"</ofd:Document>", b"<ofd:Annotations>Annotations.xml</ofd:Annotations></ofd:Document>"
    )
    files["Doc_0/Annotations.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Annotations {_NS}><ofd:Page PageID="1">'
        "<ofd:FileLoc>Pages/Page_0/Annotation.xml</ofd:FileLoc></ofd:Page></ofd:Annotations>"
    ).encode()
    files["Doc_0/Pages/Page_0/Annotation.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:PageAnnot {_NS}><ofd:Annot ID="90" Type="Link">'
        f"<ofd:Remark>{base_url}/v/{entry_id}</ofd:Remark>"
        '<ofd:Appearance Boundary="10 270 20 20"/></ofd:Annot></ofd:PageAnnot>'
    ).encode()
    return write_package(files)
