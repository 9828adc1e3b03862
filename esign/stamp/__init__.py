"""esign.stamp."""

__all__: list[str] = []
