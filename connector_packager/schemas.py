"""The bundled XSDs: which file type uses which schema, and validating against them.

Verdicts are xmlschema's, as in Tableau's own packager. Connector files are
first checked by libxml2 (first_pass.py): a valid file never needs xmlschema,
whose import costs more than the rest of a run. Schemas are built once per
process and read with importlib.resources, so an installed wheel finds them too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from connector_packager.catalogue import Severity, declare

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    import xmlschema
    from lxml import etree

    from connector_packager.first_pass import FirstPass

#: File type (the tag of the referencing element) -> schema file in ``connector_packager.xsd``.
XSD_FOR_TYPE: dict[str, str] = {
    "manifest": "connector_plugin_manifest_latest.xsd",
    "connection-dialog": "tcd_latest.xsd",
    "connection-resolver": "tdr_latest.xsd",
    "dialect": "tdd_latest.xsd",
    "resource": "connector_plugin_resources_latest.xsd",
    "connection-fields": "connection_fields.xsd",
    "connection-metadata": "connector_plugin_metadata.xsd",
    "oauth-config": "oauth_config.xsd",
}


SCHEMA = declare(
    "schema",
    ("connector", "trex"),
    Severity.ERROR,
    "the file matches the bundled XML schema of its type",
    doc="Every .xml, .tcd, .tdr and .tdd file of a connector is validated against the schema of its kind "
    "(XSD_FOR_TYPE), and a .trex against extension_manifest.xsd once its own rules pass. The verdict is "
    "xmlschema's, as in Tableau's packager; a value outside a list gets the closest allowed one as a hint.",
    passes='<field name="server" value-type="string" .../>',
    fails='<field name="server" value-type="strng" .../>',
)
NO_SCHEMA = declare(
    "no-schema",
    "connector",
    Severity.ERROR,
    "an XML file is referenced by an element whose files have a schema",
    doc="An XML file (by its extension) referenced from an element that takes no XML file, such as a "
    "<script>, cannot be validated against any schema, so it is refused.",
    passes='<script file="builder.js"/>',
    fails='<script file="builder.xml"/>',
)


#: The schemas libxml2's first pass may accept documents for. Only the connector schemas: they use nothing
#: but the built-in types string, token, boolean, unsignedInt and anyURI (and elements with any content),
#: with no identity constraints, wildcards, lists, unions or defaults. Not extension_manifest.xsd: libxml2
#: accepts base64Binary values that xmlschema rejects (":" for one; the tests keep that example).
FIRST_PASS_SCHEMAS = frozenset(XSD_FOR_TYPE.values())

#: The bundled schemas are checked against the XSD meta-schema by the test suite (strict), so at run
#: time that check is skipped: it costs more than all validation of a connector together.
SCHEMA_BUILD_MODE = "skip"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass(frozen=True)
class SchemaViolation:
    message: str
    line: int | None
    hint: str | None = None


def _prime_identity_xpath_check() -> None:
    """Speed-up: give xmlschema an ASCII form of the regex it checks identity-constraint XPaths with.

    xmlschema compiles that regex once per process from XML name classes that
    cover all of Unicode, which costs about 0.14 s, more than validating a
    connector. Every XPath it is applied to here (XSD's own meta-schema and our
    bundled schemas) is ASCII, so the ASCII form accepts exactly the same
    paths. If a future xmlschema drops the attribute, nothing is changed.
    """
    from xmlschema.validators import identities

    for cls in (getattr(identities, "XsdSelector", None), getattr(identities, "XsdFieldSelector", None)):
        source = getattr(cls, "_REGEXP", None)
        if cls is None or getattr(cls, "pattern", "absent") is not None or not isinstance(source, str):
            continue
        name = r"[:A-Za-z_][:A-Za-z0-9_.\-]*"  # XML name characters, ASCII only (":" included, as in \i \c)
        cls.pattern = re.compile("^(?:" + source.replace(r"\i\c*", name) + r")$(?!\n\Z)")


def _schema_folder() -> Traversable:
    """Where the bundled schemas are: the ``connector_packager.xsd`` package of an installed copy, or the
    repository's ``xsd/`` folder when Python runs the source tree itself (from the repository root,
    ``connector_packager`` is the checkout's folder, which has no ``xsd`` subpackage)."""
    try:
        return resources.files("connector_packager.xsd")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "xsd"


@functools.cache
def load_schema(name: str) -> xmlschema.XMLSchema:
    import xmlschema

    _prime_identity_xpath_check()

    with resources.as_file(_schema_folder()) as path:
        return xmlschema.XMLSchema(str(path / name), validation=SCHEMA_BUILD_MODE)


def violations(schema_name: str, tree: etree._ElementTree) -> list[SchemaViolation]:
    """Every way ``tree`` breaks the schema, each with the line of the element at fault."""
    first_pass = load_first_pass(schema_name) if schema_name in FIRST_PASS_SCHEMAS else None
    if first_pass is not None and first_pass.accepts(tree):
        return []
    return xmlschema_violations(schema_name, tree)


@functools.cache
def load_first_pass(name: str) -> FirstPass | None:
    """The bundled schema compiled by libxml2 for the first pass (None: libxml2 cannot compile it)."""
    from connector_packager.first_pass import FirstPass

    with resources.as_file(_schema_folder()) as path:
        return FirstPass.compile(path / name)


def xmlschema_violations(schema_name: str, tree: etree._ElementTree) -> list[SchemaViolation]:
    """xmlschema's verdict on ``tree``: the reference's, with its messages.

    ``tree`` comes from xmlsafe.parse_xml, which drops comments and processing instructions as the
    parser xmlschema uses on a file does (kept, xmlschema would count them as children).
    """
    import xmlschema

    found = []
    try:
        errors = list(load_schema(schema_name).iter_errors(cast(Any, tree)))
    except xmlschema.XMLSchemaException as exc:
        # xmlschema stops instead of reporting, e.g. on an xsi:type naming no type of the schema.
        typed = next((el for el in tree.getroot().iter() if XSI_TYPE in el.attrib), None)
        reason = exc.args[0] if exc.args else type(exc).__name__
        return [
            SchemaViolation(
                f"xmlschema cannot check this document: {reason}", typed.sourceline if typed is not None else None
            )
        ]
    for err in errors:
        line = err.sourceline
        if isinstance(err, xmlschema.XMLSchemaChildrenValidationError):
            # The line of the child at fault, not of its parent.
            children = list(err.elem) if err.elem is not None else []
            if err.index < len(children):
                line = getattr(children[err.index], "sourceline", line)
        reason = err.reason or err.message
        where = f" (at {err.path})" if err.path else ""
        found.append(SchemaViolation(f"{reason}{where}", line, _suggestion(err)))
    return found


def _suggestion(err: xmlschema.XMLSchemaValidationError) -> str | None:
    """For a value outside an enumeration (a value type, a category, an authentication mode...): the allowed
    value it was probably meant to be."""
    from connector_packager.suggest import did_you_mean

    allowed = getattr(err.validator, "enumeration", None)
    if not isinstance(err.obj, str) or not isinstance(allowed, list):
        return None
    return did_you_mean(err.obj, [str(value) for value in allowed])
