"""esign.cli."""

from esign.compat import defer_pyhanko_signing, quiet_dsa_warning

quiet_dsa_warning()
defer_pyhanko_signing()  # a command that only verifies does not load pyHanko's signer and aiohttp

__all__: list[str] = []
