"""Version comparison and the minimum Tableau version stamped into the package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connector_packager.validation import check_connector
from connector_packager.versions import is_version, version_key
from tests.conftest import BASE_FILES


@pytest.mark.parametrize(
    ("low", "high"),
    [("2023.9", "2023.10"), ("2021.1", "2021.1.3"), ("2019.4", "2020.3"), ("1.0", "1.0-1"), ("9", "10")],
)
def test_versions_compare_as_versions(low: str, high: str) -> None:
    assert version_key(low) < version_key(high)


def test_trailing_zeros_tie() -> None:
    assert version_key("2023.3.0") == version_key("2023.3")


@pytest.mark.parametrize("text", ["", "v1", "1..2", "1.2a", "-1"])
def test_non_versions(text: str) -> None:
    assert not is_version(text)
    with pytest.raises(ValueError):
        version_key(text)


def min_version(make_connector: Callable[..., Path], files: dict[str, str | None]) -> tuple[str | None, list[str]]:
    report = check_connector(make_connector(files))
    assert report.ok, report.findings
    return report.min_version, report.min_version_reasons


NO_FIELDS: dict[str, str | None] = {
    "manifest.xml": BASE_FILES["manifest.xml"].replace('  <connection-fields file="fields.xml"/>\n', ""),
    "fields.xml": None,
}
OAUTH = (
    "<pluginOAuthConfig><dbclass>tiny</dbclass>{0}<authUri>/a</authUri><tokenUri>/t</tokenUri>{1}"
    "<scopes>s</scopes></pluginOAuthConfig>"
)


def with_oauth(*configs: str) -> dict[str, str | None]:
    refs = "".join(f'  <oauth-config file="{c}"/>\n' for c in configs)
    return {"manifest.xml": BASE_FILES["manifest.xml"].replace("</connector-plugin>", refs + "</connector-plugin>")}


def test_baseline_is_2019_4(make_connector: Callable[..., Path]) -> None:
    assert min_version(make_connector, NO_FIELDS) == ("2019.4", [])


def test_connection_fields_need_2020_3(make_connector: Callable[..., Path]) -> None:
    version, reasons = min_version(make_connector, {})
    assert version == "2020.3"
    assert reasons == ["Connector uses Connection Dialogs V2, which was added in the 2020.3 release"]


def test_tableau_support_link_needs_2021_1(make_connector: Callable[..., Path]) -> None:
    manifest = NO_FIELDS["manifest.xml"].replace(
        "https://example.com/support",  # type: ignore[union-attr]
        "https://www.tableau.com/support",
    )
    assert min_version(make_connector, {**NO_FIELDS, "manifest.xml": manifest})[0] == "2021.1"


def test_inferred_resolver_needs_2021_1(make_connector: Callable[..., Path]) -> None:
    import re

    tdr = re.sub(
        r"\s*<connection-normalizer>.*?</connection-normalizer>", "", BASE_FILES["resolver.tdr"], flags=re.DOTALL
    )
    assert min_version(make_connector, {"resolver.tdr": tdr})[0] == "2021.1"


@pytest.mark.parametrize(
    ("head", "tail", "want"),
    [
        ("", "", "2021.1"),
        ("<oauthConfigId>x</oauthConfigId>", "", "2021.4"),
        ("<configLabel>x</configLabel>", "", "2023.2"),
        ("", "<instanceUrlSuffix>x</instanceUrlSuffix>", "2023.1"),
        ("", "<defaultInstanceUrl>x</defaultInstanceUrl>", "2023.3"),
    ],
)
def test_oauth_features(make_connector: Callable[..., Path], head: str, tail: str, want: str) -> None:
    files = {**with_oauth("oauth.xml"), "oauth.xml": OAUTH.format(head, tail)}
    assert min_version(make_connector, files)[0] == want


def test_several_oauth_configs_need_2023_1_and_a_null_config_2023_3(make_connector: Callable[..., Path]) -> None:
    two = {**with_oauth("oauth.xml", "oauth.xml"), "oauth.xml": OAUTH.format("", "")}
    assert min_version(make_connector, two)[0] == "2023.1"
    assert min_version(make_connector, with_oauth("null_config"))[0] == "2023.3"


@pytest.mark.parametrize(
    ("declared", "want"),
    [("2023.10", "2023.10"), ("2020.3.0", "2020.3"), ("2020.4.1", "2020.4.1"), ("2019.1", "2020.3")],
)
def test_declared_min_version_wins_only_when_higher(
    make_connector: Callable[..., Path], declared: str, want: str
) -> None:
    manifest = BASE_FILES["manifest.xml"].replace('version="18.1"', f'version="18.1" min-version-tableau="{declared}"')
    assert min_version(make_connector, {"manifest.xml": manifest})[0] == want
