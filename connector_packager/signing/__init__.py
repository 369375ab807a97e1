"""Signing .taco files and checking their signatures the way Tableau's loader does.

Heavy cryptography imports live in these modules only, so the validating
and packaging commands never pay for them.
"""
