"""The lowest Tableau version that can load a connector, from the features it uses."""

from __future__ import annotations

from connector_packager.connector import Report
from connector_packager.discovery import NULL_OAUTH_CONFIG
from connector_packager.rules.resolver import required_attributes
from connector_packager.versions import version_key

BASELINE = "2019.4"
TABLEAU_SUPPORT_LINK = "https://www.tableau.com/support"
#: Elements of an OAuth config that need a later Tableau, with that version.
OAUTH_FEATURES = (
    ("oauthConfigId", "2021.4"),
    ("instanceUrlSuffix", "2023.1"),
    ("configLabel", "2023.2"),
    ("defaultInstanceUrl", "2023.3"),
)


class _Minimum:
    def __init__(self) -> None:
        self.version = BASELINE
        self.reasons: list[str] = []

    def need(self, version: str, reason: str) -> None:
        """Raise the minimum to ``version`` (never lower it) and remember why."""
        if version_key(version) > version_key(self.version):
            self.version = version
        if reason not in self.reasons:
            self.reasons.append(reason)


def minimum_tableau_version(report: Report) -> tuple[str, list[str]]:
    """The version to stamp as ``min-version-tableau`` and one reason line per feature that raised it.

    Needs a report whose manifest parsed (else ValueError); the manifest's own
    ``min-version-tableau`` wins when it is higher (on a tie the computed
    string is kept).
    """
    manifest = report.manifest
    if manifest is None or manifest.tree is None:  # not an assert: python -O must refuse it the same way
        raise ValueError("manifest.xml could not be read")
    root = manifest.tree.getroot()
    minimum = _Minimum()

    support = root.find("vendor-information/support-link")
    if support is not None and support.get("url") == TABLEAU_SUPPORT_LINK:
        minimum.need("2021.1", "Tableau support link not usable in versions before 2021.1")

    for file in report.files:
        if file.kind == "connection-fields":
            minimum.need("2020.3", "Connector uses Connection Dialogs V2, which was added in the 2020.3 release")
        elif file.kind == "oauth-config":
            minimum.need("2021.1", "Connector uses OAuth, which was added in the 2021.1 release")
            if file.tree is not None:
                for tag, version in OAUTH_FEATURES:
                    if next(file.tree.getroot().iter(tag), None) is not None:
                        minimum.need(version, f"Connector uses OAuth {tag}, which was added in the {version} release")
        elif (
            file.kind == "connection-resolver"
            and file.tree is not None
            and required_attributes(file.tree.getroot()) is None
        ):
            minimum.need("2021.1", "Connector uses inferred connection resolver, which was added in the 2021.1 release")

    configs = report.oauth_configs
    if len(configs) > 1:
        minimum.need("2023.1", "Connector uses multiple OAuth configs, which were added in the 2023.1 release")
    elif configs == [NULL_OAUTH_CONFIG]:
        minimum.need("2023.3", "Connector uses a null OAuth config, which was added in the 2023.3 release")

    declared = root.get("min-version-tableau")
    if declared is not None and version_key(declared) > version_key(minimum.version):
        minimum.reasons.append(
            f"min-version-tableau set to {declared} in manifest.xml, which is higher than the "
            f"calculated version of {minimum.version}"
        )
        minimum.version = declared.strip()
    return minimum.version, minimum.reasons
