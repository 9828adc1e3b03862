"""esign.registry."""

__all__: list[str] = []
