"""esign.pki."""

__all__: list[str] = []
