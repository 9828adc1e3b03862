"""The backup archive: a gzip'd tar of files plus ``manifest.json`` with the SHA-256 of every member.

Writing: each file is read once, hashed and added; the manifest is added last. Reading
(:func:`extract_verified`): every member must be a regular file with a safe relative name that the
manifest lists, with the listed size and SHA-256, and every listed member must be present;
otherwise nothing is kept and :class:`~esign.errors.InputError` (``backup_tampered``) is raised.

The manifest detects corruption and tampering with single members. It is not signed: someone who
can rewrite the archive can rewrite the manifest too. What protects the register is its own
signed checkpoints, which the restore audits with the restored verifier key (and, given
``expected_vkey``, checks that key against the one the county published).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esign.errors import InputError

__all__ = ["FORMAT", "MANIFEST", "ArchiveWriter", "Manifest", "extract_verified"]

#: The archive format's name, the ``format`` key of the manifest.
FORMAT = "esign-backup/1"
#: The manifest's member name.
MANIFEST = "manifest.json"
_SAFE = re.compile(r"(db|keys|certs|documents)(/[A-Za-z0-9._-]+)+")


@dataclass(frozen=True)
class Manifest:
    """What an archive holds."""

    created_at: str
    """When the backup was made (ISO 8601, UTC)."""
    database: dict[str, Any]
    """``backend`` (sqlite | postgresql), ``kind`` (sqlite-file | jsonl), ``revision``, ``tables`` (rows each)."""
    members: dict[str, dict[str, Any]]
    """Member name to ``{"sha256": hex, "size": bytes}``."""
    with_documents: bool = False
    """Whether ``documents/`` (the stored PDFs) is included."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Other facts: esign version, whether the dev passphrase file is included."""

    def to_bytes(self) -> bytes:
        """The manifest as JSON."""
        data = {
            "format": FORMAT,
            "created_at": self.created_at,
            "database": self.database,
            "members": self.members,
            "with_documents": self.with_documents,
            **self.extra,
        }
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Parse a manifest; anything but this format is refused."""
        try:
            obj = json.loads(data)
            if obj.pop("format") != FORMAT:
                raise ValueError("format")
            members = obj.pop("members")
            if not isinstance(members, dict) or not all(
                isinstance(m, dict) and isinstance(m.get("sha256"), str) and isinstance(m.get("size"), int)
                for m in members.values()
            ):
                raise ValueError("members")
            return cls(
                created_at=obj.pop("created_at"),
                database=obj.pop("database"),
                members=members,
                with_documents=bool(obj.pop("with_documents", False)),
                extra=obj,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise _tampered(f"manifest is not a {FORMAT} manifest ({e})") from e


def _tampered(detail: str) -> InputError:
    return InputError(
        f"备份文件无效或被改动：{detail}",
        f"The backup archive is invalid or was altered: {detail}",
        code="backup_tampered",
    )


class ArchiveWriter:
    """Adds files to a new ``.tar.gz`` and records their hashes; :meth:`close` writes the manifest."""

    def __init__(self, path: Path) -> None:
        self._tar = tarfile.open(path, "w:gz")
        self.members: dict[str, dict[str, Any]] = {}

    def add_bytes(self, name: str, data: bytes, *, mode: int = 0o644) -> None:
        """Add one member."""
        if not _SAFE.fullmatch(name) or name in self.members:
            raise ValueError(f"bad member name {name!r}")
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        self._tar.addfile(info, io.BytesIO(data))
        self.members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def add_file(self, name: str, path: Path, *, mode: int = 0o644) -> None:
        """Add a file from disk."""
        self.add_bytes(name, path.read_bytes(), mode=mode)

    def close(self, manifest: Manifest) -> None:
        """Write the manifest and finish the archive."""
        data = manifest.to_bytes()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o644
        self._tar.addfile(info, io.BytesIO(data))
        self._tar.close()

    def abort(self) -> None:
        """Close without a manifest (the caller deletes the file)."""
        self._tar.close()


def extract_verified(archive: Path, dest: Path) -> Manifest:
    """Check every member of ``archive`` against its manifest and write the members under ``dest``."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            by_name = {m.name: m for m in members}
            if len(by_name) != len(members):
                raise _tampered("duplicate member names")
            if MANIFEST not in by_name:
                raise _tampered("no manifest.json")
            manifest = Manifest.from_bytes(_read(tar, by_name[MANIFEST]))
            names = set(by_name) - {MANIFEST}
            if names != set(manifest.members):
                extra, missing = sorted(names - set(manifest.members)), sorted(set(manifest.members) - names)
                raise _tampered(f"members not in the manifest {extra[:5]}, missing members {missing[:5]}")
            for name in sorted(names):
                member = by_name[name]
                if not member.isreg() or not _SAFE.fullmatch(name) or ".." in name.split("/"):
                    raise _tampered(f"unsafe member {name!r}")
                data = _read(tar, member)
                expected = manifest.members[name]
                if len(data) != expected["size"] or hashlib.sha256(data).hexdigest() != expected["sha256"]:
                    raise _tampered(f"SHA-256 of {name} does not match the manifest")
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise _tampered(f"cannot read the archive ({type(e).__name__}: {e})") from e
    return manifest


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    fh = tar.extractfile(member)
    if fh is None:
        raise _tampered(f"{member.name} is not a file")
    with fh:
        return fh.read()
