"""File discovery: what the walk from manifest.xml finds, and what it refuses."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from connector_packager.validation import check_connector
from tests.conftest import BASE_FILES


def rules(folder: Path) -> list[str]:
    return [f.rule for f in check_connector(folder).errors]


def test_base_connector_is_valid_and_lists_files_in_document_order(make_connector: Callable[..., Path]) -> None:
    report = check_connector(make_connector())
    assert report.findings == []
    assert [(f.name, f.kind) for f in report.files] == [
        ("manifest.xml", "manifest"),
        ("fields.xml", "connection-fields"),
        ("resolver.tdr", "connection-resolver"),
        ("builder.js", "script"),
        ("properties.js", "script"),
        ("dialect.tdd", "dialect"),
    ]
    assert (report.class_name, report.plugin_version, report.taco_name) == ("tiny", "1.0.0", "tiny-v1.0.0.taco")


def test_missing_folder_and_missing_manifest(tmp_path: Path) -> None:
    assert rules(tmp_path / "nope") == ["input-missing"]
    assert rules(tmp_path) == ["manifest-missing"]
    (tmp_path / "manifest.xml").mkdir()
    assert rules(tmp_path) == ["manifest-missing"]


def test_referenced_file_must_exist(make_connector: Callable[..., Path]) -> None:
    report = check_connector(make_connector({"builder.js": None}))
    [finding] = report.errors
    assert (finding.rule, finding.file, finding.line) == ("file-missing", "resolver.tdr", 4)


def test_reference_to_a_folder_is_refused(make_connector: Callable[..., Path]) -> None:
    folder = make_connector({"builder.js": None})
    (folder / "builder.js").mkdir()
    assert rules(folder) == ["file-missing"]


@pytest.mark.parametrize("ref", ["../outside.js", "/etc/passwd", "sub/../../x.js", "..\\evil.js", "C:/x.js"])
def test_references_leaving_the_folder_are_refused(make_connector: Callable[..., Path], ref: str) -> None:
    folder = make_connector()
    (folder.parent / "outside.js").write_text("//")
    tdr = BASE_FILES["resolver.tdr"].replace('file="builder.js"', f'file="{ref}"')
    (folder / "resolver.tdr").write_text(tdr)
    assert rules(folder) == ["file-outside-folder"]


def test_symlink_leaving_the_folder_is_refused(make_connector: Callable[..., Path]) -> None:
    folder = make_connector({"builder.js": None})
    (folder.parent / "outside.js").write_text("//")
    os.symlink(folder.parent / "outside.js", folder / "builder.js")
    assert rules(folder) == ["file-outside-folder"]


def test_symlink_inside_the_folder_is_followed(make_connector: Callable[..., Path]) -> None:
    folder = make_connector({"builder.js": None, "scripts/real.js": "//"})
    os.symlink(folder / "scripts" / "real.js", folder / "builder.js")
    assert rules(folder) == []


def test_file_referenced_twice_is_listed_once(make_connector: Callable[..., Path]) -> None:
    tdr = BASE_FILES["resolver.tdr"].replace('file="properties.js"', 'file="builder.js"')
    report = check_connector(make_connector({"resolver.tdr": tdr, "properties.js": None}))
    assert [f.name for f in report.files].count("builder.js") == 1
    assert report.ok


def test_cyclic_references_terminate(make_connector: Callable[..., Path]) -> None:
    tdr = BASE_FILES["resolver.tdr"].replace("<connection-builder>", '<connection-builder file="resolver.tdr">')
    report = check_connector(make_connector({"resolver.tdr": tdr}))
    assert [f.name for f in report.files].count("resolver.tdr") == 1


def test_scripts_are_not_parsed_and_subfolder_paths_stay_relative(make_connector: Callable[..., Path]) -> None:
    tdr = BASE_FILES["resolver.tdr"].replace('file="builder.js"', 'file="scripts/builder.js"')
    folder = make_connector({"resolver.tdr": tdr, "builder.js": None, "scripts/builder.js": "not < xml"})
    report = check_connector(folder)
    assert report.ok
    assert "scripts/builder.js" in [f.name for f in report.files]


def test_class_must_agree_everywhere(make_connector: Callable[..., Path]) -> None:
    report = check_connector(
        make_connector({"resolver.tdr": BASE_FILES["resolver.tdr"].replace('class="tiny"', 'class="other"')})
    )
    [finding] = report.errors
    assert (finding.rule, finding.file, finding.line) == ("class-mismatch", "resolver.tdr", 2)


def test_dbclass_must_name_the_connector_class(make_connector: Callable[..., Path]) -> None:
    manifest = BASE_FILES["manifest.xml"].replace(
        "</connector-plugin>", '  <oauth-config file="oauth.xml"/>\n</connector-plugin>'
    )
    oauth = (
        "<pluginOAuthConfig><dbclass>{}</dbclass><authUri>/a</authUri><tokenUri>/t</tokenUri>"
        "<scopes>s</scopes></pluginOAuthConfig>"
    )
    good = make_connector({"manifest.xml": manifest, "oauth.xml": oauth.format("tiny")})
    bad = make_connector({"manifest.xml": manifest, "oauth.xml": oauth.format("tiny2")})
    assert rules(good) == []
    assert rules(bad) == ["class-mismatch"]


def test_missing_class_is_an_error(make_connector: Callable[..., Path]) -> None:
    manifest = BASE_FILES["manifest.xml"].replace('class="tiny" ', "")
    folder = make_connector({"manifest.xml": manifest})
    for name in ("fields.xml", "resolver.tdr", "dialect.tdd"):
        (folder / name).write_text((folder / name).read_text().replace(' class="tiny"', ""))
    assert "class-missing" in rules(folder)


@pytest.mark.parametrize("cls", ["../evil", "..\\evil", "a/b"])
def test_class_that_would_leave_dest_is_refused(make_connector: Callable[..., Path], cls: str) -> None:
    folder = make_connector()
    for name in ("manifest.xml", "resolver.tdr", "dialect.tdd"):
        (folder / name).write_text((folder / name).read_text().replace('class="tiny"', f'class="{cls}"'))
    assert "unsafe-taco-name" in rules(folder)


@pytest.mark.parametrize(
    ("url", "ok"),
    [("https://example.com", True), ("http://example.com", False), ("ftp://x", False), ("HTTPS://example.com", False)],
)
def test_url_attributes_must_be_https(make_connector: Callable[..., Path], url: str, ok: bool) -> None:
    manifest = BASE_FILES["manifest.xml"].replace("https://example.com/support", url)
    assert rules(make_connector({"manifest.xml": manifest})) == ([] if ok else ["url-not-https"])


def test_url_rule_applies_to_files_without_a_schema(make_connector: Callable[..., Path]) -> None:
    manifest = BASE_FILES["manifest.xml"].replace("dialect.tdd", "dialect.dat")
    dialect = BASE_FILES["dialect.tdd"].replace("<dialect ", '<dialect url="http://x" ')
    assert rules(make_connector({"manifest.xml": manifest, "dialect.dat": dialect})) == ["url-not-https"]


def _with_oauth(refs: list[str]) -> dict[str, str | bytes | None]:
    lines = "".join(f'  <oauth-config file="{r}"/>\n' for r in refs)
    oauth = (
        "<pluginOAuthConfig><dbclass>tiny</dbclass><authUri>/a</authUri><tokenUri>/t</tokenUri>"
        "<scopes>s</scopes></pluginOAuthConfig>"
    )
    return {
        "manifest.xml": BASE_FILES["manifest.xml"].replace("</connector-plugin>", lines + "</connector-plugin>"),
        "oauth.xml": oauth,
    }


@pytest.mark.parametrize(
    ("refs", "ok"),
    [
        (["null_config"], True),
        (["oauth.xml", "oauth.xml"], True),
        (["null_config", "oauth.xml"], False),
        (["oauth.xml", "null_config"], False),
        (["null_config", "null_config"], False),
    ],
)
def test_null_oauth_config_must_stand_alone(make_connector: Callable[..., Path], refs: list[str], ok: bool) -> None:
    report = check_connector(make_connector(_with_oauth(refs)))
    assert [f.rule for f in report.errors] == ([] if ok else ["null-oauth-config-not-alone"])
    assert "null_config" not in [f.name for f in report.files]


def test_connection_metadata_needs_connection_fields_first(make_connector: Callable[..., Path]) -> None:
    meta = '<connection-metadata><database enabled="true"/></connection-metadata>'
    with_fields = BASE_FILES["manifest.xml"].replace(
        "<connection-resolver", '<connection-metadata file="meta.xml"/>\n  <connection-resolver'
    )
    assert rules(make_connector({"manifest.xml": with_fields, "meta.xml": meta})) == []
    without = with_fields.replace('<connection-fields file="fields.xml"/>', "")
    assert "metadata-without-fields" in rules(make_connector({"manifest.xml": without, "meta.xml": meta}))


def test_file_size_limit(make_connector: Callable[..., Path]) -> None:
    dialect = BASE_FILES["dialect.tdd"].encode()
    at_limit = dialect + b" " * (262144 - len(dialect))
    over = at_limit + b" "
    assert len(at_limit) == 262144
    assert rules(make_connector({"dialect.tdd": at_limit})) == []
    assert rules(make_connector({"dialect.tdd": over})) == ["file-too-large"]


def test_script_size_limit_bounds_memory(make_connector: Callable[..., Path]) -> None:
    """A sparse 4 GB script (no disk used) is refused from its size, without being read."""
    import subprocess
    import sys

    folder = make_connector({})
    with (folder / "builder.js").open("r+b") as script:
        script.truncate(4 << 30)
    at_limit = make_connector({"builder.js": "(function (attr) { return []; })\n" + " " * (16 * 2**20 - 40)})
    assert (at_limit / "builder.js").stat().st_size <= 16 * 2**20
    assert "file-too-large" not in rules(at_limit)
    # in a child with its address space capped at 1 GB: reading the file whole would fail there
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
        "from connector_packager.validation import check_connector; "
        f"print(' '.join(f.rule for f in check_connector(__import__('pathlib').Path({str(folder)!r})).findings))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["file-too-large"], done.stdout + done.stderr


def test_localized_strings_need_english_resources(make_connector: Callable[..., Path]) -> None:
    manifest = BASE_FILES["manifest.xml"].replace('name="Tiny"', 'name="@string/name/"')
    resources = '<resources><string name="name">Tiny</string></resources>'
    assert rules(make_connector({"manifest.xml": manifest})) == ["resources-missing"]
    report = check_connector(
        make_connector(
            {
                "manifest.xml": manifest,
                "resources-en_US.xml": resources,
                "resources-ja_JP.xml": resources,
                "resources-de_DE.xml": resources,
                "resources-xx_XX.xml": resources,
            }
        )
    )
    assert report.ok
    assert [f.name for f in report.files if f.kind == "resource"] == [
        "resources-en_US.xml",
        "resources-de_DE.xml",
        "resources-ja_JP.xml",
    ]


def test_resources_are_ignored_without_localized_strings(make_connector: Callable[..., Path]) -> None:
    report = check_connector(make_connector({"resources-en_US.xml": "<resources/>"}))
    assert [f.kind for f in report.files].count("resource") == 0


def test_every_problem_of_a_run_is_reported(make_connector: Callable[..., Path]) -> None:
    manifest = BASE_FILES["manifest.xml"].replace("https://example.com/support", "http://x")
    errors = rules(make_connector({"manifest.xml": manifest, "builder.js": None, "properties.js": None}))
    assert sorted(errors) == ["file-missing", "file-missing", "url-not-https"]
