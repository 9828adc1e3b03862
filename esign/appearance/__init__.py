"""esign.appearance."""

__all__: list[str] = []
