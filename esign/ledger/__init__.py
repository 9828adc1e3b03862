"""esign.ledger."""

__all__: list[str] = []
