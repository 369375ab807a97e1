"""``python -m connector_packager.package DIR``: the command line of Tableau's packager.

Kept as a thin entry point: the command itself lives in ``connector_packager.cli``
so that running this module does not import it a second time.
"""

from connector_packager.cli import run_package_module

if __name__ == "__main__":
    run_package_module()
