"""connector-packager: validate, package, sign and inspect Tableau connectors.

Run it as ``python -m connector_packager.package DIR`` or ``connector-packager``.
This module deliberately imports nothing else (see ``package.py``).
"""

__version__ = "0.1.0"
