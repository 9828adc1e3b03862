"""esign.cli."""

from esign.compat import quiet_dsa_warning

quiet_dsa_warning()

__all__: list[str] = []
