"""Rules of the .tdr resolver, the dialect, the .tcd dialog and the metadata file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from connector_packager.validation import check_connector
from tests.conftest import BASE_FILES

TDR = BASE_FILES["resolver.tdr"]


def with_attrs(tdr: str, names: list[str] | None) -> str:
    if names is None:
        return re.sub(r"\s*<connection-normalizer>.*?</connection-normalizer>", "", tdr, flags=re.DOTALL)
    attrs = "".join(f"<attr>{n}</attr>" for n in names)
    return re.sub(
        r"<attribute-list>.*?</attribute-list>", f"<attribute-list>{attrs}</attribute-list>", tdr, flags=re.DOTALL
    )


ALL = ["server", "dbname", "authentication", "username", "password"]

TCD_MANIFEST = (
    BASE_FILES["manifest.xml"]
    .replace('superclass="jdbc"', 'superclass="odbc"')
    .replace('<connection-fields file="fields.xml"/>', '<connection-dialog file="dialog.tcd"/>')
)
TCD = """<connection-dialog class="tiny"><connection-config>
<authentication-mode value="Basic"/>{extra}
</connection-config></connection-dialog>"""


def codes(folder: Path) -> tuple[list[str], list[str]]:
    report = check_connector(folder)
    return [f.rule for f in report.errors], [f.rule for f in report.warnings]


def test_every_field_must_be_a_required_attribute(make_connector: Callable[..., Path]) -> None:
    assert codes(make_connector({"resolver.tdr": with_attrs(TDR, ALL)})) == ([], [])
    report = check_connector(make_connector({"resolver.tdr": with_attrs(TDR, [a for a in ALL if a != "username"])}))
    [finding] = report.errors
    assert (finding.rule, finding.file, finding.line) == ("field-not-in-attribute-list", "resolver.tdr", 7)
    assert "'username'" in finding.message


def test_instanceurl_need_not_be_a_required_attribute(make_connector: Callable[..., Path]) -> None:
    fields = BASE_FILES["fields.xml"].replace(
        "</connection-fields>",
        (
            '<field name="instanceurl" label="URL" value-type="string"><conditions>'
            '<condition field="authentication" value="oauth"/></conditions></field></connection-fields>'
        ),
    )
    assert codes(make_connector({"fields.xml": fields}))[0] == []


def test_inferred_resolver_allowed_without_tcd(make_connector: Callable[..., Path]) -> None:
    assert codes(make_connector({"resolver.tdr": with_attrs(TDR, None)})) == ([], [])


def test_tcd_connector_needs_an_attribute_list(make_connector: Callable[..., Path]) -> None:
    odbc_tdr = TDR.replace('<connection-properties><script file="properties.js"/></connection-properties>', "")
    base = {"manifest.xml": TCD_MANIFEST, "dialog.tcd": TCD.format(extra=""), "fields.xml": None}
    assert codes(make_connector({**base, "resolver.tdr": odbc_tdr})) == ([], [])
    assert codes(make_connector({**base, "resolver.tdr": with_attrs(odbc_tdr, None)}))[0] == [
        "tcd-needs-attribute-list"
    ]
    # An empty <attribute-list/> already breaks the schema (it needs at least one <attr>).
    empty = re.sub(
        r"<attribute-list>.*?</attribute-list>",
        "<attribute-list><!-- none --></attribute-list>",
        odbc_tdr,
        flags=re.DOTALL,
    )
    assert codes(make_connector({**base, "resolver.tdr": empty}))[0] == ["schema"]


def test_jdbc_needs_non_empty_connection_properties(make_connector: Callable[..., Path]) -> None:
    missing = TDR.replace('<connection-properties><script file="properties.js"/></connection-properties>', "")
    empty = TDR.replace(
        '<connection-properties><script file="properties.js"/></connection-properties>', "<connection-properties/>"
    )
    assert codes(make_connector({"resolver.tdr": missing}))[0] == ["jdbc-connection-properties"]
    assert codes(make_connector({"resolver.tdr": empty}))[0] == ["jdbc-connection-properties"]
    odbc = BASE_FILES["manifest.xml"].replace('superclass="jdbc"', 'superclass="odbc"')
    assert codes(make_connector({"resolver.tdr": missing, "manifest.xml": odbc}))[0] == []


def test_warnings_for_attribute_list_without_authentication_or_server(make_connector: Callable[..., Path]) -> None:
    fields = BASE_FILES["fields.xml"]
    no_auth = with_attrs(TDR, ["server", "dbname", "username", "password"])
    _, warnings = codes(
        make_connector(
            {
                "resolver.tdr": no_auth,
                "fields.xml": fields.replace('<field name="authentication"', '<field name="v-authentication-mode"'),
            }
        )
    )
    assert "attribute-list-lacks-authentication" in warnings
    _, warnings = codes(make_connector({"resolver.tdr": with_attrs(TDR, [*ALL, "v-x"])}))
    assert warnings == []


def test_dbname_warning_when_metadata_database_is_on(make_connector: Callable[..., Path]) -> None:
    no_dbname = with_attrs(TDR, [a for a in ALL if a != "dbname"])
    assert codes(make_connector({"resolver.tdr": no_dbname})) == ([], ["dbname-not-in-attribute-list"])
    manifest = BASE_FILES["manifest.xml"].replace(
        "<connection-resolver", '<connection-metadata file="meta.xml"/>\n  <connection-resolver'
    )
    off = '<connection-metadata><database enabled="false"/></connection-metadata>'
    assert codes(make_connector({"resolver.tdr": no_dbname, "manifest.xml": manifest, "meta.xml": off})) == ([], [])


def test_default_sql_dialect_base_is_a_warning(make_connector: Callable[..., Path]) -> None:
    dialect = BASE_FILES["dialect.tdd"].replace("PostgreSQL90Dialect", "DefaultSQLDialect")
    assert codes(make_connector({"dialect.tdd": dialect})) == ([], ["dialect-default-base"])


def test_tcd_vendor_prompts_are_vendor_defined_fields(make_connector: Callable[..., Path]) -> None:
    odbc_tdr = TDR.replace('<connection-properties><script file="properties.js"/></connection-properties>', "")
    tcd = TCD.format(extra='<vendor1-prompt value="A"/><vendor3-prompt value="C"/>')
    report = check_connector(
        make_connector({"manifest.xml": TCD_MANIFEST, "dialog.tcd": tcd, "fields.xml": None, "resolver.tdr": odbc_tdr})
    )
    assert report.ok
    assert report.facts.vendor_defined_fields == ["vendor1", "vendor3"]


def test_uppercase_extension_is_validated(make_connector: Callable[..., Path]) -> None:
    manifest = BASE_FILES["manifest.xml"].replace("dialect.tdd", "dialect.TDD")
    bad = BASE_FILES["dialect.tdd"].replace("<dialect ", '<dialect unknown-attribute="1" ')
    assert codes(make_connector({"manifest.xml": manifest, "dialect.TDD": BASE_FILES["dialect.tdd"]}))[0] == []
    assert codes(make_connector({"manifest.xml": manifest, "dialect.TDD": bad}))[0] == ["schema"]


def test_xml_file_of_a_type_without_schema_is_an_error(make_connector: Callable[..., Path]) -> None:
    tdr = TDR.replace('file="builder.js"', 'file="builder.xml"')
    assert codes(make_connector({"resolver.tdr": tdr, "builder.xml": "<x/>"}))[0] == ["no-schema"]


def test_rules_read_text_around_comments_as_tableau_does(make_connector: Callable[..., Path]) -> None:
    """A comment inside a text (here the attribute names of the resolver) does not cut it."""
    tdr = with_attrs(TDR, ALL).replace("<attr>username</attr>", "<attr>user<!-- the login -->name</attr>")
    assert "user<!--" in tdr
    assert codes(make_connector({"resolver.tdr": tdr})) == ([], [])
