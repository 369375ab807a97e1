"""``python -m connector_packager``: the same as the ``connector-packager`` command."""

from connector_packager.cli import main

main()
