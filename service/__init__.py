"""The HTTP service of esign (FastAPI). HTTP only: it calls the public esign API."""

from service.app import create_app

__all__ = ["create_app"]
