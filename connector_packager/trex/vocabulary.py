"""The words and patterns of the .trex format (manifest version 0.1)."""

from __future__ import annotations

import re

NAMESPACE = "http://www.tableau.com/xml/extension_manifest"
MANIFEST_VERSION = "0.1"
EXTENSION_KINDS = ("dashboard-extension", "worksheet-extension")
#: Children of an extension element, in the order the schema requires them.
EXTENSION_CHILDREN = (
    "default-locale",
    "name",
    "description",
    "author",
    "min-api-version",
    "source-location",
    "icon",
    "permissions",
    "context-menu",
    "encoding",
)
REQUIRED_EXTENSION_CHILDREN = (
    "default-locale",
    "name",
    "description",
    "author",
    "min-api-version",
    "source-location",
    "icon",
)
ENCODING_CHILDREN = ("display-name", "data-spec", "role-spec", "fields", "encoding-icon", "tooltip")
MAX_ENCODINGS = 4
#: Elements whose text counts against the 1000-character limit.
LIMITED_TEXT = frozenset(
    {
        "name",
        "description",
        "default-locale",
        "min-api-version",
        "permission",
        "display-name",
        "tooltip",
        "data-type",
        "role-type",
        "text",
    }
)
MAX_STRING = 1000
MAX_URI = 2084

DATA_TYPES = frozenset({"numeric", "temporal", "string", "boolean"})
ROLE_TYPES = frozenset({"continuous-measure", "discrete-dimension", "continuous-dimension", "discrete-measure"})
PERMISSIONS = frozenset({"full data"})
ICON_TOKENS = frozenset(
    [
        "color",
        "size",
        "text",
        "line",
        "shape",
        "wedge",
        "level-of-detail",
        "tooltip",
        "level",
        "level-radial",
        "edge",
        "dot",
        "favorite",
        "filter",
        "flow",
        "forecast",
        "globe",
        "grid",
        "highlight",
        "image",
        "join",
        "link",
        "metric",
        "delta-down",
        "delta-up",
        "three-dots",
        "arrow-down",
        "arrow-up",
        "arrow-left",
        "arrow-right",
        "thumbnail-even",
        "hash",
        "dollar",
        "percentage",
        "ampersand",
        "exclamation",
        "smaller-than",
        "equal",
        "larger-than",
        "question",
        "at-symbol",
        "function",
    ]
    + [f"letter-{chr(c)}" for c in range(ord("a"), ord("z") + 1)]
    + [f"digit-{d}" for d in range(10)]
)

EXTENSION_ID = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+")
EXTENSION_VERSION = re.compile(r"[0-9]+(\.[0-9]+){0,3}")
MIN_API_VERSION = re.compile(r"[0-9]+\.[0-9]+")
LOCALE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
SOURCE_URL = re.compile(
    r"[Hh][Tt][Tt][Pp][Ss]://.+|[Hh][Tt][Tt][Pp]://[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]"
    r"|[Hh][Tt][Tt][Pp]://[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt][:/].*",
    re.DOTALL,
)
WEBSITE = re.compile(r"[Hh][Tt][Tt][Pp][Ss]://.+", re.DOTALL)
MAX_COUNT = re.compile(r"[1-9][0-9]*")
