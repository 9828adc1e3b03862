"""Tables of this package (filled in as the package grows)."""

__all__: list[str] = []
