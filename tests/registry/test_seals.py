"""The seal lifecycle: every allowed transition and every refused one, with history and CA effects."""

from __future__ import annotations

import datetime as dt

import pytest

from esign.errors import ConflictError, InputError, StateError
from esign.registry import SealAction, SealStatus, find_seal, find_township, request_seal
from esign.registry.seals import seal_history, transition

from .conftest import T0

ALL_ACTIONS = list(SealAction)

#: The lifecycle as the seed documents describe it (新县: creating, activating, changing and cancelling a seal need
#: the township government's approval; 蒲县: a seal that stops is collected and sealed up), written out here
#: independently of the table in ``esign.registry.lifecycle``: (from, action) -> to.
EXPECTED = {
    (SealStatus.REQUESTED, SealAction.APPROVE): SealStatus.APPROVED,
    (SealStatus.APPROVED, SealAction.ACTIVATE): SealStatus.ACTIVE,
    (SealStatus.ACTIVE, SealAction.SUSPEND): SealStatus.SUSPENDED,
    (SealStatus.SUSPENDED, SealAction.RESUME): SealStatus.ACTIVE,
    (SealStatus.ACTIVE, SealAction.REVOKE): SealStatus.REVOKED,
    (SealStatus.SUSPENDED, SealAction.REVOKE): SealStatus.REVOKED,
    (SealStatus.ACTIVE, SealAction.REPLACE): SealStatus.REPLACED,
    (SealStatus.SUSPENDED, SealAction.REPLACE): SealStatus.REPLACED,
}


def _seal_in(session, ca, status: SealStatus):
    """A seal of 克城镇 driven into ``status`` through legal transitions."""
    township = find_township(session, "克城镇")
    seal = request_seal(session, township, actor="保管人", reason="启用专用章", at=T0)
    path = {
        SealStatus.REQUESTED: [],
        SealStatus.APPROVED: [SealAction.APPROVE],
        SealStatus.ACTIVE: [SealAction.APPROVE, SealAction.ACTIVATE],
        SealStatus.SUSPENDED: [SealAction.APPROVE, SealAction.ACTIVATE, SealAction.SUSPEND],
        SealStatus.REVOKED: [SealAction.APPROVE, SealAction.ACTIVATE, SealAction.REVOKE],
        SealStatus.REPLACED: [SealAction.APPROVE, SealAction.ACTIVATE, SealAction.REPLACE],
    }[status]
    for i, action in enumerate(path):
        transition(session, seal, action, actor="改革办", reason=f"步骤{i}", at=T0 + dt.timedelta(minutes=i + 1), ca=ca)
    assert seal.status == status.value
    return seal


def test_full_name_and_code_follow_the_seed_documents(session, ca):
    seal = _seal_in(session, ca, SealStatus.REQUESTED)
    assert seal.name == "蒲县克城镇人民政府行政审批服务专用章"
    assert seal.code.startswith("141033103")


def test_rongan_title_variant_is_selectable_and_unknown_titles_are_refused(session):
    township = find_township(session, "古县乡")
    seal = request_seal(session, township, actor="a", reason="r", at=T0, title="政务服务专用章")
    assert seal.name == "蒲县古县乡人民政府政务服务专用章"
    with pytest.raises(InputError) as err:
        request_seal(session, find_township(session, "克城镇"), actor="a", reason="r", at=T0, title="公章")
    assert err.value.code == "invalid_seal_title"


@pytest.mark.parametrize(("start", "action"), sorted(EXPECTED, key=str))
def test_allowed_transitions(session, ca, start, action):
    seal = _seal_in(session, ca, start)
    result = transition(session, seal, action, actor="改革办", reason="依申请", at=T0 + dt.timedelta(hours=1), ca=ca)
    assert seal.status == EXPECTED[(start, action)].value
    history = seal_history(session, seal)
    assert history[-1].to_status == seal.status and history[-1].actor == "改革办" and history[-1].reason == "依申请"
    if action is SealAction.APPROVE:
        assert seal.cert_serial in ca.issued and ca.issued[seal.cert_serial].uscc == seal.township.uscc
    if action is SealAction.SUSPEND:
        assert ca.status[seal.cert_serial] == "on_hold"
    if action is SealAction.RESUME:
        assert ca.status[seal.cert_serial] == "good"
    if action is SealAction.REVOKE:
        assert ca.status[seal.cert_serial] == "revoked:cessationOfOperation"
    if action is SealAction.REPLACE:
        assert ca.status[seal.cert_serial] == "revoked:superseded"
        assert result.id != seal.id and result.replaces_id == seal.id
        assert result.status == SealStatus.ACTIVE.value and result.cert_serial != seal.cert_serial
        assert ca.status[result.cert_serial] == "good"


@pytest.mark.parametrize(
    ("start", "action"),
    [(s, a) for s in SealStatus for a in ALL_ACTIONS if (s, a) not in EXPECTED],
)
def test_refused_transitions_change_nothing(session, ca, start, action):
    seal = _seal_in(session, ca, start)
    before = (seal.status, len(seal_history(session, seal)), dict(ca.status))
    with pytest.raises(StateError) as err:
        transition(session, seal, action, actor="改革办", reason="试图", at=T0 + dt.timedelta(hours=1), ca=ca)
    assert err.value.code == "illegal_seal_transition"
    assert start.zh in err.value.message_zh and action.zh in err.value.message_zh
    assert (seal.status, len(seal_history(session, seal)), dict(ca.status)) == before


def test_transition_needs_a_reason(session, ca):
    seal = _seal_in(session, ca, SealStatus.REQUESTED)
    with pytest.raises(InputError) as err:
        transition(session, seal, SealAction.APPROVE, actor="改革办", reason="  ", at=T0, ca=ca)
    assert err.value.code == "reason_required"
    assert seal.status == "requested" and not ca.issued


def test_one_open_seal_per_township(session, ca):
    seal = _seal_in(session, ca, SealStatus.ACTIVE)
    with pytest.raises(ConflictError):
        request_seal(session, seal.township, actor="a", reason="再申请", at=T0)
    transition(session, seal, SealAction.REVOKE, actor="改革办", reason="注销", at=T0 + dt.timedelta(days=1), ca=ca)
    again = request_seal(session, seal.township, actor="a", reason="重新刻制", at=T0 + dt.timedelta(days=2))
    assert again.code != seal.code


def test_find_seal_by_id_code_and_township_name(session, ca):
    seal = _seal_in(session, ca, SealStatus.ACTIVE)
    assert find_seal(session, str(seal.id)) is seal
    assert find_seal(session, seal.code) is seal
    assert find_seal(session, "克城镇") is seal
    replaced = transition(
        session, seal, SealAction.REPLACE, actor="x", reason="换章", at=T0 + dt.timedelta(days=1), ca=ca
    )
    assert find_seal(session, "克城镇") is replaced
