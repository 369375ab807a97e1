"""Stamping min-version-tableau into the packaged manifest without touching anything else."""

from __future__ import annotations

import pytest

from connector_packager.stamp import StampError, stamp_min_version


def test_adds_the_attribute_with_the_documents_quote_style() -> None:
    src = (
        b"<?xml version='1.0' encoding='utf-8' ?>\n\n<connector-plugin class='x' version='1'>\n<a/></connector-plugin>"
    )
    want = src.replace(b"version='1'>", b"version='1' min-version-tableau='2020.3'>")
    assert stamp_min_version(src, "2020.3") == want


def test_replaces_an_existing_value_in_place() -> None:
    src = b'<!-- lead -->\n<connector-plugin min-version-tableau = "2019.1"\n   class="x">\n</connector-plugin>\n'
    assert stamp_min_version(src, "2021.1") == src.replace(b'"2019.1"', b'"2021.1"')


def test_keeps_bom_comments_doctype_and_a_self_closing_root() -> None:
    src = b'\xef\xbb\xbf<?xml version="1.0"?>\r\n<!-- a > b --><!DOCTYPE connector-plugin><connector-plugin a="1"/>'
    out = stamp_min_version(src, "2019.4")
    assert out == src.replace(b'a="1"/>', b'a="1" min-version-tableau="2019.4"/>')


def test_attribute_values_containing_angle_brackets() -> None:
    src = b'<connector-plugin name="a > b" class="c"></connector-plugin>'
    want = b'<connector-plugin name="a > b" class="c" min-version-tableau="2019.4"></connector-plugin>'
    assert stamp_min_version(src, "2019.4") == want


def test_utf16_documents_are_stamped_in_their_encoding() -> None:
    src = '<?xml version="1.0" encoding="utf-16"?><connector-plugin class="é"/>'.encode("utf-16")
    out = stamp_min_version(src, "2019.4")
    want = '<?xml version="1.0" encoding="utf-16"?><connector-plugin class="é" min-version-tableau="2019.4"/>'
    assert out.decode("utf-16") == want


def test_latin1_documents_keep_their_bytes() -> None:
    src = '<?xml version="1.0" encoding="iso-8859-1"?><connector-plugin name="Café"/>'.encode("latin-1")
    assert stamp_min_version(src, "2019.4") == src.replace(b'"/>', b'" min-version-tableau="2019.4"/>')


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(StampError):
        stamp_min_version(b'<?xml version="1.0" encoding="x-nope"?><connector-plugin/>', "2019.4")
