"""Rules for the connection-fields file (connection dialogs v2)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.catalogue import Severity, declare
from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.facts import VENDOR_PREFIX
from connector_packager.findings import Finding, error, warning
from connector_packager.rules import is_true, only_true_note, rule
from connector_packager.suggest import did_you_mean

#: Field names Tableau itself understands; anything else must start with ``v-``.
PLATFORM_FIELD_NAMES = frozenset(
    {
        "server",
        "port",
        "sslmode",
        "authentication",
        "username",
        "password",
        "instanceurl",
        "vendor1",
        "vendor2",
        "vendor3",
    }
)
#: Words that mark a value as secret: a field holding one must be secure.
SECRET_WORDS = ("token", "secret", "password")

FIELD_NAME_NOT_ALLOWED = declare(
    "field-name-not-allowed",
    "connection-fields",
    Severity.ERROR,
    "a field name is one Tableau knows or starts with 'v-'",
    doc="Tableau maps the platform names (server, port, username, ...) to its own attributes and passes "
    "vendor-defined 'v-' fields through; any other name is refused by Tableau's packager. A name close "
    "to an allowed one gets it as a hint.",
    passes='<field name="v-warehouse" .../>',
    fails='<field name="warehouse" .../>',
)
FIELD_DUPLICATE = declare(
    "field-duplicate",
    "connection-fields",
    Severity.ERROR,
    "no two connection fields share a name",
    doc="Values are keyed by field name: a second field of the same name would overwrite the first.",
    passes='<field name="server" .../><field name="port" .../>',
    fails='<field name="server" .../><field name="server" .../>',
)
FIELD_SECURE_NOT_PASSWORD = declare(
    "field-secure-not-password",
    "connection-fields",
    Severity.ERROR,
    "only the password field is secure",
    doc="Tableau stores only 'password' in its credential store; secure=\"true\" on another field is refused "
    "by Tableau's packager. Only the literal true counts, as there.",
    passes='<field name="password" secure="true" .../>',
    fails='<field name="v-key" secure="true" .../>',
)
FIELD_SECRET_WORD = declare(
    "field-secret-word",
    "connection-fields",
    Severity.ERROR,
    "a field that is not secure has no 'token', 'secret' or 'password' in its name or label",
    doc="Values of fields that are not secure are stored in plain text in workbooks and logs; a name or label "
    "that says it holds a secret means it would be leaked.",
    passes='<field name="v-region" label="Region" .../>',
    fails='<field name="v-token" label="API token" .../>',
)
INSTANCEURL_NOT_OAUTH = declare(
    "instanceurl-not-oauth",
    "connection-fields",
    Severity.ERROR,
    "the instanceurl field carries the condition authentication=oauth",
    doc="instanceurl is the OAuth instance URL; Tableau's packager refuses it unless it is shown only for OAuth.",
    passes='<field name="instanceurl" ...><conditions><condition field="authentication" value="oauth"/>'
    "</conditions></field>",
    fails='<field name="instanceurl" .../>',
)
ADVANCED_FIELD_WITHOUT_DEFAULT = declare(
    "advanced-field-without-default",
    "connection-fields",
    Severity.ERROR,
    "a required field in the advanced category has a default-value",
    doc="Advanced fields are hidden by default, so a required one the user never sees must have a value "
    "already (Tableau's packager checks the same).",
    passes='<field name="v-mode" category="advanced" optional="false" default-value="fast" .../>',
    fails='<field name="v-mode" category="advanced" optional="false" .../>',
)
AUTHENTICATION_FIELD_MISSING = declare(
    "authentication-field-missing",
    "connection-fields",
    Severity.ERROR,
    "there is a field named authentication (a warning with --backwards-compatible)",
    doc="Tableau needs the authentication field to pick the authentication mode; connectors made with older "
    "SDKs lack it, which --backwards-compatible forgives with a warning, as Tableau's packager does.",
    passes='<field name="authentication" value-type="string" category="authentication" .../>',
    fails="<connection-fields> without a field named authentication",
)


def _fields(root: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    for field in root.iter("field"):
        name = field.get("name")
        if name is not None:
            yield field, name


@rule("connection-fields")
def allowed_names(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A field name is a platform name or starts with ``v-``."""
    for field, name in _fields(root):
        if name not in PLATFORM_FIELD_NAMES and not name.startswith(VENDOR_PREFIX):
            guess = did_you_mean(name, PLATFORM_FIELD_NAMES)
            yield error(
                FIELD_NAME_NOT_ALLOWED,
                f"field name {name!r} is not allowed",
                file.name,
                field.sourceline,
                hint=(f"{guess} Otherwise use" if guess else "use")
                + " one of "
                + ", ".join(sorted(PLATFORM_FIELD_NAMES))
                + " or a name starting with 'v-' (see "
                "'Connection Field Platform Integration' in the SDK documentation)",
            )


@rule("connection-fields")
def unique_names(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """No two fields share a name."""
    seen: set[str] = set()
    for field, name in _fields(root):
        if name in seen:
            yield error(FIELD_DUPLICATE, f"field {name!r} is declared more than once", file.name, field.sourceline)
        seen.add(name)


@rule("connection-fields")
def secure_only_password(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Only the ``password`` field may be ``secure``."""
    for field, name in _fields(root):
        if is_true(field.get("secure"), False) and name != "password":
            yield error(
                FIELD_SECURE_NOT_PASSWORD,
                f"field {name!r} is secure; only 'password' may be secure",
                file.name,
                field.sourceline,
            )


@rule("connection-fields")
def no_secret_words(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A field that is not secure must not look like it holds a secret (name or label)."""
    for field, name in _fields(root):
        if is_true(field.get("secure"), False):
            continue
        for what, text in (("name", name), ("label", field.get("label") or "")):
            word = next((w for w in SECRET_WORDS if w in text.lower()), None)
            if word is not None:
                yield error(
                    FIELD_SECRET_WORD,
                    f"field {name!r} is not secure but its {what} {text!r} contains "
                    f"{word!r}{only_true_note('secure', field.get('secure'))}",
                    file.name,
                    field.sourceline,
                    hint="values of non-secure fields are stored in plain text; rename the field",
                )


@rule("connection-fields")
def instanceurl_for_oauth(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """``instanceurl`` is only allowed on the condition authentication=oauth."""
    for field, name in _fields(root):
        if name != "instanceurl":
            continue
        conditional = any(
            c.get("field") == "authentication" and c.get("value") == "oauth"
            for conditions in field.iter("conditions")
            for c in conditions.iter("condition")
        )
        if not conditional:
            yield error(
                INSTANCEURL_NOT_OAUTH,
                "field 'instanceurl' must carry <conditions><condition "
                'field="authentication" value="oauth"/></conditions>',
                file.name,
                field.sourceline,
            )


@rule("connection-fields")
def advanced_required_has_default(
    root: etree._Element, file: ConnectorFile, facts: ConnectorFacts
) -> Iterator[Finding]:
    """A required field in the advanced category needs a default value."""
    for field, name in _fields(root):
        required = not is_true(field.get("optional"), True)
        if field.get("category") == "advanced" and required and not field.get("default-value"):
            optional = field.get("optional")
            yield error(
                ADVANCED_FIELD_WITHOUT_DEFAULT,
                f"field {name!r} is required (optional={optional!r}) in "
                f"the advanced category but has no default-value{only_true_note('optional', optional)}",
                file.name,
                field.sourceline,
            )


@rule("connection-fields")
def has_authentication(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """There must be a field named ``authentication`` (a warning with --backwards-compatible)."""
    if any(name == "authentication" for _, name in _fields(root)):
        return
    message = f"no 'authentication' field in {file.name}"
    if facts.backwards_compatible:
        yield warning(
            AUTHENTICATION_FIELD_MISSING,
            message + "; packaging anyway (--backwards-compatible)",
            file.name,
            root.sourceline,
        )
    else:
        yield error(
            AUTHENTICATION_FIELD_MISSING,
            message,
            file.name,
            root.sourceline,
            hint='add <field name="authentication" .../>, or pass --backwards-compatible for '
            "connectors made with older SDKs",
        )
