"""Rules of the connection-fields file, each with a passing and a failing input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connector_packager.connector import Report
from connector_packager.validation import check_connector
from tests.conftest import BASE_FILES

FIELDS_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<connection-fields>\n'
AUTH = '  <field name="authentication" label="Authentication" value-type="string" category="authentication"/>\n'


def check_fields(
    make_connector: Callable[..., Path],
    body: str,
    *,
    attrs: list[str] | None = None,
    backwards_compatible: bool = False,
) -> Report:
    """Check the base connector with its fields file replaced; the resolver lists every field name."""
    fields = FIELDS_HEAD + body + "</connection-fields>\n"
    names = attrs if attrs is not None else ["server", "dbname", "authentication", "username", "password"]
    import re

    names += [n for n in re.findall(r'name="([^"]*)"', body) if n not in names]
    attr_list = "".join(f"<attr>{n}</attr>" for n in names)
    tdr = re.sub(
        r"<attribute-list>.*?</attribute-list>",
        f"<attribute-list>{attr_list}</attribute-list>",
        BASE_FILES["resolver.tdr"],
        flags=re.DOTALL,
    )
    return check_connector(
        make_connector({"fields.xml": fields, "resolver.tdr": tdr}), backwards_compatible=backwards_compatible
    )


def field(name: str, extra: str = "", label: str | None = None, body: str = "") -> str:
    label = label if label is not None else name.title()
    tail = f">{body}</field>" if body else "/>"
    return f'  <field name="{name}" label="{label}" value-type="string" {extra}{tail}\n'


def errors(report: Report) -> list[tuple[str, int | None]]:
    return [(f.rule, f.line) for f in report.errors]


@pytest.mark.parametrize("name", ["server", "port", "sslmode", "username", "vendor1", "vendor3", "v-custom"])
def test_allowed_names_pass(make_connector: Callable[..., Path], name: str) -> None:
    assert errors(check_fields(make_connector, AUTH + field(name))) == []


@pytest.mark.parametrize("name", ["warehouse", "vendor4", "V-custom"])
def test_other_names_fail(make_connector: Callable[..., Path], name: str) -> None:
    assert errors(check_fields(make_connector, AUTH + field(name))) == [("field-name-not-allowed", 4)]


@pytest.mark.parametrize("name", ["1vendor", " vendor1", "vendor1 ", "vend or1", "vendor$1"])
def test_names_failing_the_schema_pattern(make_connector: Callable[..., Path], name: str) -> None:
    assert [rule for rule, _ in errors(check_fields(make_connector, AUTH + field(name)))] == ["schema"]


def test_duplicate_names(make_connector: Callable[..., Path]) -> None:
    assert errors(check_fields(make_connector, AUTH + field("server"))) == []
    assert errors(check_fields(make_connector, AUTH + field("server") + field("server"))) == [("field-duplicate", 5)]


def test_only_password_may_be_secure(make_connector: Callable[..., Path]) -> None:
    assert errors(check_fields(make_connector, AUTH + field("password", 'secure="true"'))) == []
    assert errors(check_fields(make_connector, AUTH + field("v-key", 'secure="true"'))) == [
        ("field-secure-not-password", 4)
    ]
    # Tableau's packager compares secure with the literal "true": secure="1" is not secure to it.
    assert errors(check_fields(make_connector, AUTH + field("v-key", 'secure="1"'))) == []


@pytest.mark.parametrize("value", ["1", " true", "true ", "false", "0"])
def test_only_the_literal_true_makes_a_field_secure(make_connector: Callable[..., Path], value: str) -> None:
    """secure="1" is XSD's true but not Tableau's: the password field then fails the secret-word check, and the
    message says that only "true" counts when XSD would have read the value as true."""
    report = check_fields(make_connector, AUTH + field("password", f'secure="{value}"'))
    assert errors(report) == [("field-secret-word", 4), ("field-secret-word", 4)]
    means_true_to_xsd = value.strip() in ("true", "1")
    for finding in report.errors:
        assert ('only secure="true" counts' in finding.message) == means_true_to_xsd, finding.message


@pytest.mark.parametrize(
    ("name", "label"),
    [("v-epic-password", "Epic"), ("v-epic", "EpicPassword"), ("v-api-token", "Key"), ("v-x", "Client SECRET")],
)
def test_non_secure_fields_must_not_look_secret(make_connector: Callable[..., Path], name: str, label: str) -> None:
    assert errors(check_fields(make_connector, AUTH + field(name, label=label))) == [("field-secret-word", 4)]


def test_secure_password_may_say_password(make_connector: Callable[..., Path]) -> None:
    assert errors(check_fields(make_connector, AUTH + field("password", 'secure="true"', label="Password"))) == []


def test_instanceurl_needs_the_oauth_condition(make_connector: Callable[..., Path]) -> None:
    condition = '<conditions><condition field="authentication" value="oauth"/></conditions>'
    other = '<conditions><condition field="authentication" value="basic"/></conditions>'
    assert errors(check_fields(make_connector, AUTH + field("instanceurl", body=condition))) == []
    assert errors(check_fields(make_connector, AUTH + field("instanceurl", body=other))) == [
        ("instanceurl-not-oauth", 4)
    ]
    assert errors(check_fields(make_connector, AUTH + field("instanceurl"))) == [("instanceurl-not-oauth", 4)]


def test_required_advanced_field_needs_a_default(make_connector: Callable[..., Path]) -> None:
    ok = 'category="advanced" optional="false" default-value="x"'
    assert errors(check_fields(make_connector, AUTH + field("v-adv", ok))) == []
    assert errors(check_fields(make_connector, AUTH + field("v-adv", 'category="advanced" optional="true"'))) == []
    assert errors(check_fields(make_connector, AUTH + field("v-adv", 'category="advanced" optional="false"'))) == [
        ("advanced-field-without-default", 4)
    ]
    assert errors(
        check_fields(make_connector, AUTH + field("v-adv", 'category="advanced" optional="false" default-value=""'))
    ) == [("advanced-field-without-default", 4)]
    assert errors(check_fields(make_connector, AUTH + field("v-adv", 'category="advanced"'))) == []


@pytest.mark.parametrize("value", ["1", " true", "false", "0"])
def test_only_the_literal_true_makes_an_advanced_field_optional(
    make_connector: Callable[..., Path], value: str
) -> None:
    report = check_fields(make_connector, AUTH + field("v-adv", f'category="advanced" optional="{value}"'))
    assert errors(report) == [("advanced-field-without-default", 4)]
    assert ('only optional="true" counts' in report.errors[0].message) == (value in ("1", " true"))


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("usrename", "username"),
        ("pasword", "password"),
        ("sever", "server"),
        ("Port", "port"),
        ("authentification", "authentication"),
    ],
)
def test_an_almost_allowed_field_name_gets_a_suggestion(
    make_connector: Callable[..., Path], typo: str, meant: str
) -> None:
    finding = check_fields(make_connector, AUTH + field(typo, label="X")).errors[0]
    assert finding.rule == "field-name-not-allowed"
    assert finding.hint is not None
    assert finding.hint.startswith(f"did you mean {meant!r}?"), finding.hint
    assert "one of authentication, instanceurl" in finding.hint  # the list of allowed names follows


def test_a_name_like_no_allowed_one_gets_no_suggestion(make_connector: Callable[..., Path]) -> None:
    finding = check_fields(make_connector, AUTH + field("warehouse")).errors[0]
    assert finding.hint is not None and "did you mean" not in finding.hint


def test_authentication_field_is_required(make_connector: Callable[..., Path]) -> None:
    report = check_fields(make_connector, field("server"))
    assert errors(report) == [("authentication-field-missing", 2)]
    lenient = check_fields(make_connector, field("server"), backwards_compatible=True)
    assert lenient.ok
    assert [w.rule for w in lenient.warnings] == ["authentication-field-missing"]


def test_vendor_defined_fields_are_recorded(make_connector: Callable[..., Path]) -> None:
    report = check_fields(make_connector, AUTH + field("vendor2") + field("v-a") + field("server"))
    assert report.facts.vendor_defined_fields == ["vendor2", "v-a"]
