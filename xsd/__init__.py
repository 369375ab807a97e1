"""XML Schemas for Tableau connector files, shipped as package data.

The schemas are written by the connector-packager team from the published
format facts; `connector_packager.schemas` loads them with importlib.resources.
"""
