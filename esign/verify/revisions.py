"""What changed after each signature: esign's own classification of every revision (:mod:`esign.verify.changes`)
and byte-level stray objects (:mod:`esign.verify.structure`), summed up per signature, with pyHanko's difference
analysis as a second opinion (not asked when the only later update added the document's first DSS, which
:mod:`esign.verify.dss_update` proves without pyHanko's walk of every object) and the DocMDP "no changes" rule.

A change any of them names makes the category ``other`` (the signature then fails with FORMAT_FAILURE); only later
signatures, document time-stamps and DSS updates leave it ``signatures_timestamps_validation_data``.
"""

from __future__ import annotations

from collections.abc import Collection

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from esign import budget
from esign.verify.changes import RevisionDelta, classify_revision
from esign.verify.report import ChangeCategory, ChangeInfo, ChangesAfterSigning

__all__ = ["changes_after", "revision_deltas"]


def revision_deltas(reader: PdfFileReader, revisions: int, *, after: int = 0) -> dict[int, RevisionDelta]:
    """What each revision after ``after`` did (an unreadable one is itself a change). Revisions up to the
    earliest signed one change nothing any signature covers: they need not be classified."""
    out: dict[int, RevisionDelta] = {}
    for k in range(max(after, 0) + 1, revisions):
        budget.checkpoint()
        try:
            out[k] = classify_revision(reader, k)
        except RecursionError:
            raise
        except Exception as e:
            d = RevisionDelta(k)
            d.other.append(ChangeInfo(k, "revision_unreadable", None, None, f"revision cannot be analysed: {e}"[:200]))
            out[k] = d
    return out


def changes_after(
    reader: PdfFileReader,
    rev: int,
    revisions: int,
    deltas: dict[int, RevisionDelta],
    stray: list[ChangeInfo],
    emb: EmbeddedPdfSignature | None,
    proven: Collection[int] = (),
) -> ChangesAfterSigning:
    """Everything done to the document after the signature over revision ``rev`` (see the module docstring).
    ``proven``: revisions :func:`esign.verify.dss_update.adds_first_dss_only` showed to add only the first DSS."""
    budget.checkpoint()
    later = [deltas[k] for k in range(rev + 1, revisions) if k in deltas]
    other = [c for d in later for c in d.other] + [c for c in stray if c.revision > rev]
    sigs = tuple(n for d in later for n in d.signatures)
    docts = tuple(n for d in later for n in d.document_timestamps)
    dss = sum(1 for d in later if d.dss)
    diff_level: str | None = None
    if later and not other and all(d.revision in proven for d in later):
        # Only the first DSS was added, as esign.verify.dss_update proved without pyHanko's walk of every object;
        # pyHanko's verdict on such an update is LTA_UPDATES (tests/verify/test_dss_update.py checks it).
        diff_level = ModificationLevel.LTA_UPDATES.name
    elif later:
        diff_level = _second_opinion(reader, rev, emb, other)
        try:
            perm = emb.docmdp_level if emb is not None else None
        except Exception:
            perm = None
        if perm is not None and int(perm.value) == 1 and sigs:
            other.append(
                ChangeInfo(rev + 1, "docmdp", None, None, "certified with no changes allowed (P=1), yet signed again")
            )
    if other:
        category = ChangeCategory.OTHER
    elif later or any(c.revision > rev for c in stray):
        category = ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    else:
        category = ChangeCategory.NONE
    return ChangesAfterSigning(
        category=category,
        later_revisions=len(later),
        later_signatures=sigs,
        document_timestamps=docts,
        validation_data_updates=dss,
        other=tuple(other) if category is ChangeCategory.OTHER else (),
        diff_level=diff_level,
    )


def _second_opinion(reader: PdfFileReader, rev: int, emb: EmbeddedPdfSignature | None, other: list[ChangeInfo]) -> str:
    """pyHanko's difference analysis of everything after revision ``rev``: its verdict, and in ``other`` what it
    refuses (OTHER, ANNOTATIONS or a suspicious modification)."""
    try:
        result = DEFAULT_DIFF_POLICY.review_file(
            reader,
            rev,
            field_mdp_spec=emb.fieldmdp if emb is not None else None,
            doc_mdp=emb.docmdp_level if emb is not None else None,
        )
    except RecursionError:
        raise
    except Exception as e:
        other.append(ChangeInfo(rev + 1, "diff_analysis", None, None, f"pyHanko: {type(e).__name__}: {e}"[:200]))
        return "SUSPICIOUS"
    if not isinstance(result, DiffResult):
        other.append(ChangeInfo(rev + 1, "diff_analysis", None, None, f"pyHanko: {result}"[:200]))
        return "SUSPICIOUS"
    level = result.modification_level.name
    if result.modification_level in (ModificationLevel.OTHER, ModificationLevel.ANNOTATIONS):
        other.append(ChangeInfo(rev + 1, "diff_analysis", None, None, f"pyHanko: {level}"))
    return level
