"""The workflow's face: every name it declares resolves, and importing the tables (migrations) does not
load the stamping stack through it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import esign.workflow as workflow
from esign.workflow import EntryView, StampOutcome, StampRequestView, StoredDocument


def test_every_declared_name_resolves() -> None:
    for name in workflow.__all__:
        assert getattr(workflow, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        workflow.no_such_use_case  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError:
        return
    raise AssertionError("an unknown name resolved")


def test_the_views_are_frozen() -> None:
    for view in (EntryView, StampOutcome, StampRequestView, StoredDocument):
        assert dataclasses.is_dataclass(view) and view.__dataclass_params__.frozen, view  # type: ignore[attr-defined]


def test_the_migration_aggregator_does_not_load_the_use_cases() -> None:
    code = "import sys, esign.models, esign.workflow; print('esign.workflow.requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
