"""The HTTP service of esign (FastAPI). HTTP only: it calls the public esign API."""

from esign.compat import quiet_dsa_warning

quiet_dsa_warning()  # before pyHanko is imported: worker processes start here

from service.app import create_app  # noqa: E402

__all__ = ["create_app"]
