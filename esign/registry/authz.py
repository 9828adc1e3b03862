"""Who may do what: the one place where roles and township boundaries are enforced.

Every surface (CLI with tokens, HTTP API, web pages) calls :func:`authorize` before acting. A
township's people never act on or see another township's seals, users or records.
"""

from __future__ import annotations

from enum import StrEnum

from esign.errors import AuthError, ForbiddenError
from esign.registry.accounts import Actor, Role

__all__ = ["PERMISSIONS", "Permission", "authorize", "department_sees", "visible_township_ids"]


class Permission(StrEnum):
    TOWNSHIP_VIEW = "township.view"
    TOWNSHIP_MANAGE = "township.manage"
    CATALOG_MANAGE = "catalog.manage"
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"
    SEAL_VIEW = "seal.view"
    SEAL_REQUEST = "seal.request"
    SEAL_DECIDE = "seal.decide"
    LEGACY_SEAL_RECORD = "legacy_seal.record"
    STAMP_REQUEST = "stamp.request"
    STAMP_APPROVE = "stamp.approve"
    STAMP_VIEW = "stamp.view"
    REGISTER_VIEW = "register.view"
    OVERSIGHT_REGISTER = "oversight.register"
    OVERSIGHT_DASHBOARD = "oversight.dashboard"
    OVERSIGHT_REFUSALS = "oversight.refusals"
    OVERSIGHT_ANOMALIES = "oversight.anomalies"
    FEED_READ = "feed.read"
    FEED_MANAGE = "feed.manage"

    @property
    def zh(self) -> str:
        """What the permission lets one do, in Chinese (people never read a permission code)."""
        return _PERMISSION_ZH.get(self, "执行此操作")


_TOWNSHIP_STAFF = frozenset({Role.CLERK, Role.APPROVER, Role.CUSTODIAN})

#: Which roles hold each permission. Township roles hold it for their own township only.
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.TOWNSHIP_VIEW: frozenset({Role.REFORM_ADMIN, *_TOWNSHIP_STAFF}),
    Permission.TOWNSHIP_MANAGE: frozenset({Role.REFORM_ADMIN}),
    Permission.CATALOG_MANAGE: frozenset({Role.REFORM_ADMIN}),
    Permission.USER_MANAGE: frozenset({Role.REFORM_ADMIN}),
    Permission.AUDIT_VIEW: frozenset({Role.REFORM_ADMIN}),
    Permission.SEAL_VIEW: frozenset({Role.REFORM_ADMIN, *_TOWNSHIP_STAFF}),
    Permission.SEAL_REQUEST: frozenset({Role.REFORM_ADMIN, Role.CUSTODIAN}),
    Permission.SEAL_DECIDE: frozenset({Role.REFORM_ADMIN}),
    Permission.LEGACY_SEAL_RECORD: frozenset({Role.REFORM_ADMIN}),
    Permission.STAMP_REQUEST: frozenset({Role.CLERK}),
    Permission.STAMP_APPROVE: frozenset({Role.APPROVER}),
    Permission.STAMP_VIEW: frozenset({Role.REFORM_ADMIN, *_TOWNSHIP_STAFF}),
    Permission.REGISTER_VIEW: frozenset({Role.REFORM_ADMIN, Role.DEPARTMENT, *_TOWNSHIP_STAFF}),
    # Oversight (esign.oversight): the register and dashboard of the whole county for the reform office,
    # of their own township for its staff, of their own items for department viewers (see department_sees);
    # refused attempts for the office and for a township's own staff; the anomaly report for the office.
    Permission.OVERSIGHT_REGISTER: frozenset({Role.REFORM_ADMIN, Role.DEPARTMENT, *_TOWNSHIP_STAFF}),
    Permission.OVERSIGHT_DASHBOARD: frozenset({Role.REFORM_ADMIN, Role.DEPARTMENT, *_TOWNSHIP_STAFF}),
    Permission.OVERSIGHT_REFUSALS: frozenset({Role.REFORM_ADMIN, *_TOWNSHIP_STAFF}),
    Permission.OVERSIGHT_ANOMALIES: frozenset({Role.REFORM_ADMIN}),
    # Department feed (esign.feed, 审管联动): the office reads every event and manages subscriptions;
    # a department viewer reads the events of the items it supervises (department_sees, or listed
    # explicitly in its subscriptions) and sees its own subscriptions, never a secret.
    Permission.FEED_READ: frozenset({Role.REFORM_ADMIN, Role.DEPARTMENT}),
    Permission.FEED_MANAGE: frozenset({Role.REFORM_ADMIN}),
}


#: What each permission lets one do, as the refusal says it (people never read a permission code).
_PERMISSION_ZH: dict[Permission, str] = {
    Permission.TOWNSHIP_VIEW: "查看乡镇",
    Permission.TOWNSHIP_MANAGE: "管理乡镇",
    Permission.CATALOG_MANAGE: "管理事项目录",
    Permission.USER_MANAGE: "管理账号",
    Permission.AUDIT_VIEW: "查看审计记录",
    Permission.SEAL_VIEW: "查看印章",
    Permission.SEAL_REQUEST: "申请刻制印章",
    Permission.SEAL_DECIDE: "批准、暂停或注销印章",
    Permission.LEGACY_SEAL_RECORD: "登记实物印章",
    Permission.STAMP_REQUEST: "提交用印申请",
    Permission.STAMP_APPROVE: "批准用印",
    Permission.STAMP_VIEW: "查看用印申请",
    Permission.REGISTER_VIEW: "查看用印登记",
    Permission.OVERSIGHT_REGISTER: "查看用印台账",
    Permission.OVERSIGHT_DASHBOARD: "查看监管看板",
    Permission.OVERSIGHT_REFUSALS: "查看被拒绝的用印尝试",
    Permission.OVERSIGHT_ANOMALIES: "查看用印异常报告",
    Permission.FEED_READ: "读取部门信息推送",
    Permission.FEED_MANAGE: "管理部门信息推送",
}


def authorize(actor: Actor, permission: Permission, *, township_id: int | None = None) -> None:
    """Raise unless ``actor`` holds ``permission`` (for ``township_id`` when the target has one)."""
    if actor.role is None:
        raise AuthError("请先登录或提供访问令牌。", "Authentication required.", code="unauthenticated")
    if actor.role not in PERMISSIONS[permission]:
        raise ForbiddenError(
            f"“{actor.role.zh}”角色无权{_PERMISSION_ZH.get(permission, '执行此操作')}。",
            f"Role {actor.role.value} may not do {permission.value}.",
            code="role_not_allowed",
            permission=permission.value,
        )
    if actor.role.township_bound and township_id is not None and township_id != actor.township_id:
        raise ForbiddenError(
            "不能查看或操作其他乡镇的印章、人员或记录。",
            "You cannot see or act on another township's seals, users or records.",
            code="wrong_township",
        )


def visible_township_ids(actor: Actor) -> set[int] | None:
    """Townships whose records ``actor`` may list: None means all, an empty set none."""
    if actor.role is None:
        return set()
    if actor.role.township_bound:
        return {actor.township_id} if actor.township_id is not None else set()
    return None


def department_sees(actor: Actor, item_department: str) -> bool:
    """Whether ``actor`` may see register entries of an item whose catalog department is ``item_department``.

    Everyone but a department viewer sees every item (their township boundary is checked by
    :func:`authorize` and :func:`visible_township_ids`). A department viewer sees an item when the
    two department names contain one another after white space is removed: catalogs write
    "县民政局" or "民政局" where the account says "蒲县民政局", so "民政局" ⊂ "蒲县民政局" matches,
    while "蒲县民政局" and "蒲县人社局" do not. An item without a department is seen by no department,
    and a department viewer whose account names no department sees nothing.
    """
    if actor.role is not Role.DEPARTMENT:
        return actor.role is not None
    mine = "".join(actor.department.split())
    theirs = "".join(item_department.split())
    if not mine or not theirs:
        return False
    return theirs in mine or mine in theirs
