"""The registry's use cases: what the service and the CLI call.

Each takes the deployment (:class:`esign.registry.api.RegistryHome`), the acting person where there is
one, and plain values; it opens its one transaction, checks the actor's permission, does its work and
its audit inside that transaction, and returns frozen views (:mod:`esign.registry.views`), never ORM rows.
"""

from esign.registry.usecases.people import (
    audit_events,
    password_set,
    person_add,
    person_list,
    token_issue,
    token_list,
    token_revoke,
    whoami,
)
from esign.registry.usecases.seals import (
    legacy_seal_list,
    legacy_seal_record,
    seal_change,
    seal_data_file,
    seal_list,
    seal_request,
    seal_show,
)
from esign.registry.usecases.signin import (
    record_edge_refusal,
    token_actor,
    web_session_actor,
    web_sign_in,
    web_sign_out,
)
from esign.registry.usecases.status import seal_status_of
from esign.registry.usecases.townships import (
    authority_grant,
    catalog_import,
    catalog_items,
    catalog_list,
    county_name,
    township_add,
    township_authority,
    township_list,
    township_show,
)

__all__ = [
    "audit_events",
    "authority_grant",
    "catalog_import",
    "catalog_items",
    "catalog_list",
    "county_name",
    "legacy_seal_list",
    "legacy_seal_record",
    "password_set",
    "person_add",
    "person_list",
    "record_edge_refusal",
    "seal_change",
    "seal_data_file",
    "seal_list",
    "seal_request",
    "seal_show",
    "seal_status_of",
    "token_actor",
    "token_issue",
    "token_list",
    "token_revoke",
    "township_add",
    "township_authority",
    "township_list",
    "township_show",
    "web_session_actor",
    "web_sign_in",
    "web_sign_out",
    "whoami",
]
