"""Schema-driven fuzzing of the whole HTTP API (Schemathesis) against a real ``esign serve``.

Every operation of ``/openapi.json`` gets requests generated from its schema (valid and invalid
paths, queries, JSON and multipart bodies), sent with a real token of the demo county (so the
authenticated routes run past their permission checks) to a live server on SQLite and on the real
PostgreSQL. A test fails on any 5xx, on an error response that is not the documented error shape
``{"error": {"code", "message_zh", "message_en"}}``, and on any response slower than 10 s.

Bounded for CI: ``ESIGN_FUZZ_EXAMPLES`` examples per operation (default 12), derandomized so a
failure reproduces (``ESIGN_FUZZ_RANDOM=1`` explores afresh); about 50 s per database on two cores.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.live import live_server
from tests.conftest import pg_schema

EXAMPLES = int(os.environ.get("ESIGN_FUZZ_EXAMPLES", "12"))
SLOW = 10.0
ADMIN, CLERK, APPROVER = "县审批局管理员", "克城镇窗口", "克城镇批准人"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo county behind a real server process: base URL and a token per demo user."""
    env = {"ESIGN_FEED_INTERVAL": "0"}  # no webhook deliveries to the addresses the fuzzer makes up
    with ExitStack() as stack:
        if request.param == "postgres":
            env["ESIGN_DATABASE_URL"] = stack.enter_context(pg_schema())
        home = tmp_path_factory.mktemp("fuzz")
        dep = Deployment.open(Settings(home=home, database_url=env.get("ESIGN_DATABASE_URL")))
        rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
        dep.close()
        assert rows is not None
        base = stack.enter_context(live_server(home, env=env)).base
        yield {"base": base, "tokens": {name: token for name, _r, _t, token in rows}}


def _who(method: str, path: str) -> str:
    """The demo user who may call the operation: clerks ask, approvers decide, the office does the rest."""
    if method == "POST" and path in ("/api/v1/stamp-requests", "/api/v1/stamp-batches"):
        return CLERK
    if method == "POST" and path.endswith(("/approve", "/reject")) and "stamp-" in path:
        return APPROVER
    return ADMIN


def _documented_error(response: Any) -> str | None:
    """What is wrong with an error response's body, or None when it has the documented shape."""
    try:
        error = response.json()["error"]
    except Exception as exc:  # not JSON, or no "error" object
        return f"not the error shape ({type(exc).__name__}): {response.content[:200]!r}"
    if not isinstance(error, dict):
        return f"error is not an object: {error!r}"
    missing = [k for k in ("code", "message_zh", "message_en") if not (isinstance(error.get(k), str) and error[k])]
    return f"error lacks {missing}: {error!r}" if missing else None


def _check(case: Any, response: Any) -> str | None:
    where = f"{case.method.upper()} {case.formatted_path}"
    if response.status_code >= 500:
        return f"{where} -> {response.status_code}: {response.content[:300]!r}"
    if response.elapsed >= SLOW:
        return f"{where} took {response.elapsed:.1f} s"
    if response.status_code >= 400:
        problem = _documented_error(response)
        if problem:
            return f"{where} -> {response.status_code}: {problem}"
    return None


def _fuzz(operation: Any, token: str) -> None:
    """Run the operation's generated cases (valid and invalid ones); AssertionError on the first bad answer."""
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("ESIGN_FUZZ_RANDOM", "") == "",
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing request is reported
    )
    def one_operation(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=SLOW + 5)
        problem = _check(case, response)
        assert problem is None, problem

    one_operation()


def test_no_operation_answers_5xx_an_undocumented_error_or_slowly(fuzz_server: dict[str, Any]) -> None:
    api = schemathesis.openapi.from_url(f"{fuzz_server['base']}/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1
        token = fuzz_server["tokens"][_who(operation.method.upper(), operation.path)]
        try:
            _fuzz(operation, token)
        except AssertionError as exc:  # every operation is tried; all failures are reported together
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc).splitlines()[0][:500]
    assert operations > 40  # the whole API was reached
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
