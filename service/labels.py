"""Plain-Chinese labels for the codes the web pages would otherwise show: signature levels, the
verification's sub-indications and change categories, and error codes (refusal reasons).

JSON keeps the codes; only what people read goes through these tables. A code without a label is
shown as a general phrase, never as itself.
"""

from __future__ import annotations

from esign.registry import Permission, SealAction

__all__ = [
    "ACTION_ZH",
    "CHANGES_ZH",
    "ERROR_ZH",
    "LEVEL_ZH",
    "PAGE_ZH",
    "SUBINDICATION_ZH",
    "action_zh",
    "error_zh",
    "level_zh",
    "page_zh",
]

#: PAdES baseline levels (ETSI EN 319 142-1) as a clerk chooses them.
LEVEL_ZH: dict[str, str] = {
    "B-B": "基础签名（不带时间戳）",
    "B-T": "带可信时间戳",
    "B-LT": "长期有效（带时间戳和验证数据）",
    "B-LTA": "长期存档（另加文档时间戳，可续期）",
}

#: What happened to a document after it was signed (esign.verify.report.ChangeCategory).
CHANGES_ZH: dict[str, str] = {
    "none": "无改动",
    "signatures_timestamps_validation_data": "仅追加了签章、时间戳或验证数据（允许的改动）",
    "other": "有其他改动，文件已不是盖章时的样子",
}

#: ETSI EN 319 102-1 sub-indications, as the verification page says them.
SUBINDICATION_ZH: dict[str, str] = {
    "FORMAT_FAILURE": "文件格式有误",
    "HASH_FAILURE": "盖章后文件内容被改动",
    "SIG_CRYPTO_FAILURE": "签名值校验失败",
    "REVOKED": "印章证书已被注销",
    "EXPIRED": "印章证书已过期",
    "NOT_YET_VALID": "印章证书尚未生效",
    "NO_SIGNATURE_FOUND": "文件中没有电子签章",
    "SIG_CONSTRAINTS_FAILURE": "签章不符合要求",
    "CHAIN_CONSTRAINTS_FAILURE": "证书链不符合要求",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "证书链校验失败",
    "CRYPTO_CONSTRAINTS_FAILURE": "所用算法不符合要求",
    "REVOKED_NO_POE": "证书已注销，且无法证明盖章早于注销",
    "REVOKED_CA_NO_POE": "签发机构证书已注销",
    "OUT_OF_BOUNDS_NO_POE": "无法证明盖章时证书有效",
    "TRY_LATER": "暂时无法获得证书状态，请稍后再试",
    "NO_SIGNING_CERTIFICATE_FOUND": "找不到印章证书",
    "NO_CERTIFICATE_CHAIN_FOUND": "印章证书不是由本县信任的机构签发",
    "SIGNED_DATA_NOT_FOUND": "找不到被签名的内容",
    "NO_POE": "缺少时间证明",
    "GENERIC": "其他原因",
}

#: Error codes (esign.errors) as the reason of a refused or failed attempt.
ERROR_ZH: dict[str, str] = {
    "seal_not_active": "印章未启用（已暂停或注销）",
    "item_not_in_authority_list": "事项不在职权清单内",
    "role_not_allowed": "角色无此权限",
    "wrong_township": "跨乡镇操作",
    "approver_is_user": "批准人与使用人相同",
    "approver_required": "批准人不是批准人角色",
    "approver_inactive": "批准人账号已停用",
    "unauthenticated": "未登录或令牌无效",
    "invalid_token": "令牌无效",
    "bad_credentials": "用户名或密码错误",
    "request_decided": "申请已处理",
    "invalid_state": "状态不允许",
    "keyword_not_found": "找不到盖章位置关键字",
    "keyword_empty": "未填写定位关键字",
    "field_not_found": "找不到签名域",
    "field_already_signed": "签名域已签过",
    "page_out_of_range": "页码超出范围",
    "placement_off_page": "盖章位置超出页面",
    "bad_placement": "盖章位置填写有误",
    "invalid_placement": "盖章位置填写有误",
    "riding_seal_single_page": "单页文书不能加盖骑缝章",
    "pdf_encrypted": "PDF 已加密",
    "pdf_wrong_password": "PDF 密码错误",
    "pdf_encryption_unsupported": "PDF 加密方式不支持",
    "pdf_malformed": "PDF 文件已损坏",
    "pdf_no_pages": "PDF 没有页面",
    "pdf_too_complex": "PDF 过于复杂",
    "pdf_form_needs_appearances": "PDF 表单缺少外观",
    "not_pdf": "不是 PDF 文件",
    "too_large": "文件过大",
    "empty_file": "空文件",
    "empty_input": "空文件",
    "file_required": "未选择文件",
    "reason_required": "未填写事由",
    "validation_required": "填写内容不完整",
    "bad_level": "签名级别有误",
    "bad_document_type": "文书类型有误",
    "idempotency_conflict": "重复提交了另一份文件",
    "stamp_failed": "盖章失败",
    "seal_not_found": "印章不存在",
    "seal_without_certificate": "印章尚无证书",
    "batch_closed": "批次已关闭",
    "batch_decided": "批次已处理",
    "illegal_seal_transition": "印章状态不允许该操作",
}


def error_zh(code: str | None) -> str:
    """The reason ``code`` stands for; "其他原因" for a code without a label."""
    return ERROR_ZH.get(code or "", "其他原因")


#: Audit event actions (esign.registry.audit), as the reform office's reports name them.
ACTION_ZH: dict[str, str] = {
    "authority.grant": "授予职权事项",
    "catalog.import": "导入事项目录",
    "county.init": "初始化县级证书体系",
    "feed.rotate_secret": "更换推送密钥",
    "feed.subscribe": "订阅部门推送",
    "feed.unsubscribe": "取消部门推送",
    "legacy_seal.record": "登记实物印章",
    "pki.reissue_issuing": "重签签发 CA 证书",
    "seal.request": "申请刻制印章",
    "stamp.apply": "盖章",
    "stamp.batch.reject": "驳回批量用印",
    "stamp.batch.request": "提交批量用印申请",
    "stamp.batch.resume": "继续批量盖章",
    "stamp.fail": "用印申请无法盖章",
    "stamp.reject": "驳回用印申请",
    "stamp.request": "提交用印申请",
    "token.authenticate": "凭访问令牌访问",
    "token.issue": "签发访问令牌",
    "token.revoke": "吊销访问令牌",
    "township.add": "添加乡镇",
    "user.add": "添加账号",
    "web.csrf": "提交网页表单",
    "web.sign_in": "登录网页",
}


def action_zh(code: str | None) -> str:
    """An audit action in Chinese: the events above, a seal's lifecycle step, or the permission a refused attempt
    asked for; "其他操作" for anything else (the code itself is never shown as the label)."""
    code = code or ""
    if code in ACTION_ZH:
        return ACTION_ZH[code]
    if code.startswith("seal.") and code[5:] in {a.value for a in SealAction}:
        return f"印章{SealAction(code[5:]).zh}"
    if code in {p.value for p in Permission}:
        return Permission(code).zh
    return "其他操作"


def level_zh(level: str | None) -> str:
    """A PAdES level in plain Chinese (the technical name stays beside it in small print)."""
    return LEVEL_ZH.get(level or "", level or "—")


#: Page numbers people read: -1 is the last page.
PAGE_ZH = {-1: "最后一页", 1: "第一页"}


def page_zh(number: int) -> str:
    """``number`` as a page: 最后一页, 倒数第 2 页, 第 3 页."""
    if number in PAGE_ZH:
        return PAGE_ZH[number]
    return f"倒数第 {-number} 页" if number < 0 else f"第 {number} 页"
