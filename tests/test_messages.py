"""Wrong input, right message: what a new user gets when the input is not what the tool expects."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_packager.cli import main, package_command
from connector_packager.validation import check_connector
from tests.conftest import BASE_FILES, SAMPLES


def run_package(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(package_command, [*args, "-l", str(tmp_path), "-d", str(tmp_path / "out")])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# ------------------------------------------------------------ a file, a .taco, a folder of connectors


def test_package_of_the_manifest_file_names_its_folder(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_connector()
    for name in ("manifest.xml", "fields.xml", "builder.js"):
        code, output = run_package(tmp_path, str(folder / name))
        assert code == 1
        assert f"{folder / name} is a file: give its folder, {folder}" in output
        assert "does not exist" not in output


def test_package_of_a_taco_points_at_inspect_and_verify(make_connector: Callable[..., Path], tmp_path: Path) -> None:
    code, _ = run_package(tmp_path, str(make_connector()))
    assert code == 0
    (taco,) = (tmp_path / "out").glob("*.taco")
    for suffix in (".taco", ".TACO"):
        given = taco.rename(taco.with_suffix(suffix))
        code, output = run_package(tmp_path, str(given))
        assert code == 1
        assert "is a packaged connector (.taco)" in output
        assert f"connector-packager inspect {given}" in output and f"connector-packager verify {given}" in output


def test_package_of_a_missing_folder_says_it_does_not_exist(tmp_path: Path) -> None:
    code, output = run_package(tmp_path, str(tmp_path / "nowhere"))
    assert code == 2
    assert f"{tmp_path / 'nowhere'} does not exist" in output


def test_package_of_a_folder_of_connectors_lists_them(tmp_path: Path) -> None:
    parent = tmp_path / "connectors"
    for name in ("acme_odbc", "acme_jdbc"):
        shutil.copytree(SAMPLES / name, parent / name)
    (parent / "notes").mkdir()
    (parent / ".hidden").mkdir()
    shutil.copy(SAMPLES / "acme_jdbc" / "manifest.xml", parent / ".hidden" / "manifest.xml")
    code, output = run_package(tmp_path, str(parent))
    assert code == 1
    assert f"its sub-folders {parent / 'acme_jdbc'}, {parent / 'acme_odbc'} are" in output
    assert f"validate --recursive {parent}" in output
    assert "notes" not in output and ".hidden" not in output


def test_a_folder_holding_one_connector_names_it(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "acme_odbc", tmp_path / "only")
    (finding,) = check_connector(tmp_path).findings
    assert f"but its sub-folder {tmp_path / 'only'} is" in finding.message


def test_a_folder_of_many_connectors_names_a_few_and_counts_the_rest(tmp_path: Path) -> None:
    for i in range(8):
        (tmp_path / f"c{i}").mkdir()
        (tmp_path / f"c{i}" / "manifest.xml").write_text("<connector-plugin/>")
    (finding,) = check_connector(tmp_path).findings
    assert finding.rule == "manifest-missing"
    assert "c4" in finding.message and "c5" not in finding.message and "and 3 more" in finding.message


def test_validate_recursive_on_a_folder_without_connectors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("nothing here")
    result = CliRunner().invoke(main, ["validate", "--recursive", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert f"no connector (a folder with manifest.xml) or .trex file was found in {tmp_path / 'empty'}" in result.output
    assert "manifest.xml is missing" not in result.output


# ------------------------------------------------------------ names that differ only in case


def test_a_manifest_spelt_in_another_case(make_connector: Callable[..., Path]) -> None:
    folder = make_connector()
    (folder / "manifest.xml").rename(folder / "Manifest.xml")
    (finding,) = check_connector(folder).findings
    assert finding.rule == "manifest-missing"
    assert "found Manifest.xml: names are case-sensitive in Tableau" in finding.message


@pytest.mark.parametrize(
    ("on_disk", "referenced"),
    [("ConnectionBuilder.js", "connectionBuilder.js"), ("Fields.XML", "fields.xml"), ("sub/B.js", "sub/b.js")],
)
def test_a_referenced_file_spelt_in_another_case(
    make_connector: Callable[..., Path], on_disk: str, referenced: str
) -> None:
    """The classic Windows-to-Linux CI trap: the reference and the file differ only in case."""
    kind, default = ("connection-fields", "fields.xml") if referenced.endswith(".xml") else ("script", "builder.js")
    source = BASE_FILES[default]
    manifest = BASE_FILES["manifest.xml"]
    tdr = BASE_FILES["resolver.tdr"]
    if kind == "script":
        tdr = tdr.replace('file="builder.js"', f'file="{referenced}"')
    else:
        manifest = manifest.replace('file="fields.xml"', f'file="{referenced}"')
    folder = make_connector({default: None, on_disk: source, "manifest.xml": manifest, "resolver.tdr": tdr})
    errors = check_connector(folder).errors
    assert [f.rule for f in errors] == ["file-missing"]
    assert f"found {on_disk}: names are case-sensitive in Tableau" in errors[0].message


def test_a_missing_file_with_no_other_spelling_says_only_missing(make_connector: Callable[..., Path]) -> None:
    (finding,) = check_connector(make_connector({"builder.js": None})).errors
    assert finding.message == "builder.js is referenced but does not exist"


# ------------------------------------------------------------ files that do not parse


@pytest.mark.parametrize(
    "breakage",
    [
        lambda text: text.replace("</vendor-information>", "</vendor-informatio>"),
        lambda text: text.replace("Tiny Co", "Tiny \xe9 Co").encode("latin-1"),
        lambda text: text + "<trailing/>",
    ],
)
def test_a_manifest_that_does_not_parse_gets_only_its_parse_error(
    make_connector: Callable[..., Path], tmp_path: Path, breakage: Callable[[str], str | bytes]
) -> None:
    """The class is in the file; once the file fails to parse nothing is said about its content."""
    folder = make_connector({"manifest.xml": breakage(BASE_FILES["manifest.xml"])})
    report = check_connector(folder)
    assert [f.rule for f in report.findings] == ["xml-not-well-formed"]
    result = CliRunner().invoke(main, ["validate", "-r", str(tmp_path)])
    row = next(line for line in result.output.splitlines() if line.startswith("FAIL"))
    assert row.split()[:3] == ["FAIL", str(folder), "1"], row  # no "?" for the class it could not read


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("fields.xml", "</connection-fields>", "</connection-field>"),
        ("resolver.tdr", "</tdr>", "</tdrx>"),
        ("dialect.tdd", 'version="18.1"/>', 'version="18.1">'),
    ],
)
def test_any_file_that_does_not_parse_gets_only_its_parse_error(
    make_connector: Callable[..., Path], name: str, old: str, new: str
) -> None:
    assert old in BASE_FILES[name]
    report = check_connector(make_connector({name: BASE_FILES[name].replace(old, new)}))
    assert [(f.rule, f.file) for f in report.findings] == [("xml-not-well-formed", name)]


@pytest.mark.parametrize(
    ("declaration", "encoded", "says"),
    [
        ('<?xml version="1.0" encoding="utf-8"?>', "latin-1", "declared utf-8"),
        ("", "latin-1", "UTF-8, as no encoding is declared"),
        ('<?xml version="1.0" encoding="UTF-8"?>', "cp1252", "declared UTF-8"),
        ("<?xml version='1.0' encoding='ascii'?>", "utf-8", "declared ascii"),
    ],
)
def test_bytes_that_are_not_text_in_the_declared_encoding(
    make_connector: Callable[..., Path], declaration: str, encoded: str, says: str
) -> None:
    text = BASE_FILES["fields.xml"].replace('<?xml version="1.0" encoding="utf-8"?>', declaration)
    text = text.replace('label="Server"', 'label="Serveur \u00e9t\u00e9"')
    data = text.encode(encoded)
    bad = next(i for i, byte in enumerate(data) if byte >= 0x80)
    (finding,) = check_connector(make_connector({"fields.xml": data})).errors
    assert finding.rule == "xml-not-well-formed"
    line = data.count(b"\n", 0, bad) + 1
    assert f"byte 0x{data[bad]:02X} at offset {bad} (line {line})" in finding.message
    assert says in finding.message
    assert finding.line == line
    assert finding.hint is not None and finding.hint.startswith("re-save the file as UTF-8")
    assert ("fix its encoding declaration" in finding.hint) == bool(declaration)


def test_a_16_bit_declaration_on_8_bit_bytes(make_connector: Callable[..., Path]) -> None:
    text = BASE_FILES["fields.xml"].replace('encoding="utf-8"', 'encoding="UTF-16"')
    errors = check_connector(make_connector({"fields.xml": text.encode("ascii")})).errors
    assert errors and errors[0].rule == "xml-not-well-formed"
    assert "declares the encoding UTF-16 but is written in a single-byte encoding" in errors[0].message


def test_a_syntax_error_in_good_utf8_keeps_the_parser_message(make_connector: Callable[..., Path]) -> None:
    text = BASE_FILES["fields.xml"].replace("</connection-fields>", "</connection-field>")
    (finding,) = check_connector(make_connector({"fields.xml": text.replace("Server", "Serveur \u00e9")})).errors
    assert "Opening and ending tag mismatch" in finding.message


# ------------------------------------------------------------ values that are almost allowed


@pytest.mark.parametrize(
    ("file", "old", "new", "meant"),
    [
        ("fields.xml", 'value-type="string" category="endpoint"', 'value-type="strnig" category="endpoint"', "string"),
        ("fields.xml", 'category="endpoint"', 'category="endpiont"', "endpoint"),
        ("dialog.tcd", 'value="Basic"', 'value="basic"', "Basic"),
        ("dialog.tcd", 'value="Basic"', 'value="BasicUsernameOnly"', "BasicUserNameOnly"),
    ],
)
def test_a_value_close_to_an_allowed_one_gets_a_suggestion(
    make_connector: Callable[..., Path], file: str, old: str, new: str, meant: str
) -> None:
    dialog = (
        '<?xml version="1.0" encoding="utf-8"?>\n<connection-dialog class="tiny">\n  <connection-config>\n'
        '    <authentication-mode value="Basic"/>\n  </connection-config>\n</connection-dialog>\n'
    )
    manifest = BASE_FILES["manifest.xml"].replace(
        '  <connection-fields file="fields.xml"/>\n', '  <connection-dialog file="dialog.tcd"/>\n'
    )
    files = {"manifest.xml": manifest, "dialog.tcd": dialog} if file == "dialog.tcd" else {}
    source = files.get(file, BASE_FILES.get(file, ""))
    assert old in source
    files[file] = source.replace(old, new, 1)
    errors = check_connector(make_connector(files)).errors
    assert [f.rule for f in errors] == ["schema"]
    assert errors[0].hint == f"did you mean {meant!r}?"


def test_a_value_like_no_allowed_one_gets_no_suggestion(make_connector: Callable[..., Path]) -> None:
    fields = BASE_FILES["fields.xml"].replace('category="endpoint"', 'category="zzzzzz"')
    (finding,) = check_connector(make_connector({"fields.xml": fields})).errors
    assert finding.rule == "schema" and finding.hint is None
