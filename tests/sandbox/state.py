"""Kept for the project's tests that import the demo credentials from here."""

from partner_api.testing._state import DEMO, Credentials, Fault, Sandbox

__all__ = ["DEMO", "Credentials", "Fault", "Sandbox"]
