"""Erasures made again after a restore of the clients table: `python -m tools.erasures reapply`."""
