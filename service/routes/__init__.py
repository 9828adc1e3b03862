"""Routers grouped by audience: public (health, PKI, verification), api (v1), web pages."""

__all__: list[str] = []
