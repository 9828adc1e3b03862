"""esign.verify."""

__all__: list[str] = []
