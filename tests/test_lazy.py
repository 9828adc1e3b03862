"""The faces that load names on first use (:mod:`esign.lazy`): each declared name resolves, in a fresh
interpreter, to the object of the submodule it comes from; importing the face loads none of them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Each lazy face and one submodule that importing the face alone must not load.
FACES = {
    "esign.workflow": "esign.workflow.requests",
    "esign.oversight": "esign.oversight.usecases",
    "esign.ledger": "esign.ledger.cosigning",
    "esign.pki": "esign.pki.store",
    "esign.ofd": "esign.ofd.verify",
}

_PROBE = """
import importlib, json, sys
face = importlib.import_module(sys.argv[1])
loaded_early = sys.argv[2] in sys.modules
missing, wrong = [], []
for name in face.__all__:
    try:
        value = getattr(face, name)
    except AttributeError:
        missing.append(name)
        continue
    home = getattr(value, "__module__", None)
    if isinstance(value, type(sys)):
        home = value.__name__
    if home and home.startswith("esign.") and not (home == face.__name__ or home.startswith(face.__name__ + ".")):
        wrong.append(f"{name} from {home}")
try:
    getattr(face, "no_such_name")
    unknown = "resolved"
except AttributeError:
    unknown = "AttributeError"
print(json.dumps({"early": loaded_early, "later": sys.argv[2] in sys.modules, "missing": missing,
                  "wrong": wrong, "unknown": unknown, "dir": dir(face) == sorted(face.__all__)}))
"""


@pytest.mark.parametrize("face", sorted(FACES))
def test_a_lazy_face_resolves_every_name_and_loads_nothing_early(face: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, face, FACES[face]], capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["missing"] == [] and got["wrong"] == []
    assert got["early"] is False, f"importing {face} loaded {FACES[face]}"
    assert got["later"] is True, f"no name of {face} came from {FACES[face]}"
    assert got["unknown"] == "AttributeError"
    assert got["dir"] is True
