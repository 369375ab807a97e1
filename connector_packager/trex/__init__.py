"""Validation of Tableau extension manifests (.trex): dashboard and viz (worksheet) extensions."""

from connector_packager.trex.validator import check_trex

__all__ = ["check_trex"]
