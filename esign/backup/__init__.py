"""Backups of a data home (database, encrypted keys, certificates, optionally documents) and restores."""

from esign.backup.archive import FORMAT, Manifest, extract_verified
from esign.backup.home import BackupReport, RestoreReport, create_backup, restore_backup

__all__ = ["FORMAT", "BackupReport", "Manifest", "RestoreReport", "create_backup", "extract_verified", "restore_backup"]
