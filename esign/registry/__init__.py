"""The registry: the county, townships, catalogs and authority lists, seals and their lifecycle,
people and tokens, audit events. It is the system of record every other package consults."""

from esign.registry.accounts import (
    Actor,
    Role,
    add_person,
    authenticate_password,
    authenticate_token,
    find_person,
    issue_token,
    revoke_token,
    set_password,
)
from esign.registry.api import IssuedSealKey, SealCertificateAuthority, SealIdentity
from esign.registry.audit import AuditRecord, list_audit, record_event, record_refusal
from esign.registry.authority import (
    authority_list,
    catalog_names,
    catalog_rows,
    grant_items,
    import_catalog,
    resolve_item,
)
from esign.registry.authz import Permission, authorize, visible_township_ids
from esign.registry.legacy import Disposition, list_legacy_seals, record_legacy_seal
from esign.registry.lifecycle import SealAction, SealStatus, next_status
from esign.registry.seals import SealHistory, find_seal, list_seals, request_seal, seal_history, transition
from esign.registry.townships import (
    SEAL_TITLES,
    add_township,
    create_county,
    find_township,
    get_county,
    list_townships,
    organisation_name,
    seal_full_name,
    township_summary,
)

__all__ = [
    "SEAL_TITLES",
    "Actor",
    "AuditRecord",
    "Disposition",
    "IssuedSealKey",
    "Permission",
    "Role",
    "SealAction",
    "SealCertificateAuthority",
    "SealHistory",
    "SealIdentity",
    "SealStatus",
    "add_person",
    "add_township",
    "authenticate_password",
    "authenticate_token",
    "authority_list",
    "authorize",
    "catalog_names",
    "catalog_rows",
    "create_county",
    "find_person",
    "find_seal",
    "find_township",
    "get_county",
    "grant_items",
    "import_catalog",
    "issue_token",
    "list_audit",
    "list_legacy_seals",
    "list_seals",
    "list_townships",
    "next_status",
    "organisation_name",
    "record_event",
    "record_legacy_seal",
    "record_refusal",
    "request_seal",
    "resolve_item",
    "revoke_token",
    "seal_full_name",
    "seal_history",
    "set_password",
    "township_summary",
    "transition",
    "visible_township_ids",
]
