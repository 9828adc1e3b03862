"""The stamping workflow: a clerk's request, an approver's decision, the stamp and its register entry.

It joins the registry (who may stamp what), the stamping pipeline (how) and the ledger (the
record), and commits a stamp and its register entry in one transaction. Import from the modules:
:mod:`esign.workflow.requests` (the flow), :mod:`esign.workflow.batches` (several documents approved
once) and :mod:`esign.workflow.batch_runner` (the job that stamps them), :mod:`esign.workflow.engine`
(per-process caches), :mod:`esign.hosts` (document storage); the package itself stays light because
:mod:`esign.models` imports its tables for migrations.
"""

__all__: list[str] = []
