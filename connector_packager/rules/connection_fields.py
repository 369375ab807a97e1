"""Rules for the connection-fields file (connection dialogs v2)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from connector_packager.connector import ConnectorFacts, ConnectorFile
from connector_packager.findings import Finding, error, warning
from connector_packager.rules import is_true, only_true_note, rule
from connector_packager.suggest import did_you_mean

#: Field names Tableau itself understands; anything else must start with ``v-``.
PLATFORM_FIELD_NAMES = frozenset({"server", "port", "sslmode", "authentication", "username", "password",
                                  "instanceurl", "vendor1", "vendor2", "vendor3"})
VENDOR_FIELD_NAMES = frozenset({"vendor1", "vendor2", "vendor3"})
VENDOR_PREFIX = "v-"
#: Words that mark a value as secret: a field holding one must be secure.
SECRET_WORDS = ("token", "secret", "password")


def _fields(root: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    for field in root.iter("field"):
        name = field.get("name")
        if name is not None:
            yield field, name


@rule("connection-fields")
def record_fields(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Remember every field name, and the vendor-defined ones (vendor1-3, ``v-*``)."""
    for _, name in _fields(root):
        facts.connection_fields.append(name)
        if name in VENDOR_FIELD_NAMES or name.startswith(VENDOR_PREFIX):
            facts.vendor_defined_fields.append(name)
    yield from ()


@rule("connection-fields")
def allowed_names(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A field name is a platform name or starts with ``v-``."""
    for field, name in _fields(root):
        if name not in PLATFORM_FIELD_NAMES and not name.startswith(VENDOR_PREFIX):
            guess = did_you_mean(name, PLATFORM_FIELD_NAMES)
            yield error("field-name-not-allowed", f"field name {name!r} is not allowed",
                        file.name, field.sourceline,
                        hint=(f"{guess} Otherwise use" if guess else "use") + " one of "
                        + ", ".join(sorted(PLATFORM_FIELD_NAMES)) + " or a name starting with 'v-' (see "
                        "'Connection Field Platform Integration' in the SDK documentation)")


@rule("connection-fields")
def unique_names(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """No two fields share a name."""
    seen: set[str] = set()
    for field, name in _fields(root):
        if name in seen:
            yield error("field-duplicate", f"field {name!r} is declared more than once", file.name,
                        field.sourceline)
        seen.add(name)


@rule("connection-fields")
def secure_only_password(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """Only the ``password`` field may be ``secure``."""
    for field, name in _fields(root):
        if is_true(field.get("secure"), False) and name != "password":
            yield error("field-secure-not-password", f"field {name!r} is secure; only 'password' may be secure",
                        file.name, field.sourceline)


@rule("connection-fields")
def no_secret_words(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """A field that is not secure must not look like it holds a secret (name or label)."""
    for field, name in _fields(root):
        if is_true(field.get("secure"), False):
            continue
        for what, text in (("name", name), ("label", field.get("label") or "")):
            word = next((w for w in SECRET_WORDS if w in text.lower()), None)
            if word is not None:
                yield error("field-secret-word", f"field {name!r} is not secure but its {what} {text!r} contains "
                            f"{word!r}{only_true_note('secure', field.get('secure'))}", file.name, field.sourceline,
                            hint="values of non-secure fields are stored in plain text; rename the field")


@rule("connection-fields")
def instanceurl_for_oauth(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """``instanceurl`` is only allowed on the condition authentication=oauth."""
    for field, name in _fields(root):
        if name != "instanceurl":
            continue
        conditional = any(c.get("field") == "authentication" and c.get("value") == "oauth"
                          for conditions in field.iter("conditions") for c in conditions.iter("condition"))
        if not conditional:
            yield error("instanceurl-not-oauth", "field 'instanceurl' must carry <conditions><condition "
                        "field=\"authentication\" value=\"oauth\"/></conditions>", file.name, field.sourceline)


@rule("connection-fields")
def advanced_required_has_default(root: etree._Element, file: ConnectorFile,
                                  facts: ConnectorFacts) -> Iterator[Finding]:
    """A required field in the advanced category needs a default value."""
    for field, name in _fields(root):
        required = not is_true(field.get("optional"), True)
        if field.get("category") == "advanced" and required and not field.get("default-value"):
            optional = field.get("optional")
            yield error("advanced-field-without-default", f"field {name!r} is required (optional={optional!r}) in "
                        f"the advanced category but has no default-value{only_true_note('optional', optional)}",
                        file.name, field.sourceline)


@rule("connection-fields")
def has_authentication(root: etree._Element, file: ConnectorFile, facts: ConnectorFacts) -> Iterator[Finding]:
    """There must be a field named ``authentication`` (a warning with --backwards-compatible)."""
    if any(name == "authentication" for _, name in _fields(root)):
        return
    message = f"no 'authentication' field in {file.name}"
    if facts.backwards_compatible:
        yield warning("authentication-field-missing", message + "; packaging anyway (--backwards-compatible)",
                      file.name, root.sourceline)
    else:
        yield error("authentication-field-missing", message, file.name, root.sourceline,
                    hint="add <field name=\"authentication\" .../>, or pass --backwards-compatible for "
                    "connectors made with older SDKs")
