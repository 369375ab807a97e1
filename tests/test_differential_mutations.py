"""Hypothesis mutates a signed .taco (central directory, local headers, names, end record, and the contents of
MANIFEST.MF, the .SF file and the signature block) and checks what ``verify`` and ``inspect`` do with it: never a
traceback; ``verify`` never accepts what ``jarsigner -verify -strict`` refuses (asked only when ours accepts, when a
JDK is present); and, in child processes, within the time and memory limits.

The example counts keep both tests to about two minutes on a loaded two-core machine; examples are derandomized so
that a run can be repeated.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from connector_packager.cli import main
from tests.differential import LOAD_VERDICT, assert_never_looser, jarsigner_verdict
from tests.pki import Pki
from tests.zip_crafting import Craft, build_zip, crafts_of

SIGNATURE_PARTS = ("META-INF/MANIFEST.MF", ".SF", ".RSA", ".EC", ".DSA")


def _regions(data: bytes) -> dict[str, tuple[int, int]]:
    """Byte ranges of the archive's structures: the end record, the central directory, each local header."""
    end = data.rfind(b"PK\x05\x06")
    directory_size, directory_at = struct.unpack_from("<2L", data, end + 12)
    regions = {"end record": (end, len(data)), "central directory": (directory_at, directory_at + directory_size)}
    at = directory_at
    while at < directory_at + directory_size:
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, at + 28)
        (offset,) = struct.unpack_from("<L", data, at + 42)
        name = data[at + 46:at + 46 + name_len].decode()
        local_name_len, local_extra_len = struct.unpack_from("<2H", data, offset + 26)
        regions[f"local header of {name}"] = (offset, offset + 30 + local_name_len + local_extra_len)
        regions[f"name of {name}"] = (at + 46, at + 46 + name_len)
        at += 46 + name_len + extra_len + comment_len
    return regions


def _edit(data: bytes, draw: st.DrawFn, start: int, stop: int) -> bytes:
    """One edit inside [start, stop): overwrite some bytes, insert, delete, or cut the file there."""
    at = draw(st.integers(start, max(start, stop - 1)))
    kind = draw(st.sampled_from(["overwrite", "overwrite", "insert", "delete", "truncate"]))
    if kind == "overwrite":
        new = draw(st.binary(min_size=1, max_size=4))
        return data[:at] + new + data[at + len(new):]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 8)):]
    return data[:at]


@st.composite
def mutated(draw: st.DrawFn, signed: bytes) -> tuple[str, bytes]:
    """A description of the change, and the changed archive."""
    if draw(st.booleans()):  # a structure of the archive
        regions = _regions(signed)
        region = draw(st.sampled_from(sorted(regions)))
        return region, _edit(signed, draw, *regions[region])
    crafts = crafts_of(signed)  # the content of a signature file, re-zipped cleanly
    parts = [i for i, c in enumerate(crafts) if c.name.decode().endswith(SIGNATURE_PARTS)]
    index = draw(st.sampled_from(parts))
    craft = crafts[index]
    data = _edit(craft.data, draw, 0, len(craft.data)) if craft.data else craft.data
    changed: list[Craft] = [*crafts[:index], replace(craft, data=data), *crafts[index + 1:]]
    return f"content of {craft.name.decode()}", build_zip(changed)


def _in_process(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _check(signed: bytes, draw: Callable[..., tuple[str, bytes]], folder: Path, pki: Pki,
           java_store: Path | None) -> None:
    what, data = draw(mutated(signed))
    taco = folder / "mutated.taco"
    taco.write_bytes(data)
    code, out = _in_process(["verify", str(taco), "--truststore", str(pki.root_pem)])
    assert code in (0, 1), f"{what}: exit {code}\n{out}"
    says_load = code == 0 and out.rstrip("\n").split("\n")[-1] == LOAD_VERDICT
    if says_load and java_store is not None:
        java = jarsigner_verdict(taco, java_store)
        assert java.accepts, f"{what}: verify accepts what jarsigner -strict refuses:\n{out}\n{java.output}"
    code, out = _in_process(["inspect", str(taco)])
    assert code in (0, 1), f"{what}: inspect exit {code}\n{out}"


@pytest.fixture
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutated")


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutations_in_process(data: st.DataObject, signed_taco_bytes: bytes, pki: Pki, java_store: Path | None,
                              folder: Path) -> None:
    _check(signed_taco_bytes, data.draw, folder, pki, java_store)


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutations_bounded_in_a_child(data: st.DataObject, signed_taco_bytes: bytes, pki: Pki,
                                      java_store: Path | None, folder: Path) -> None:
    what, mutant = data.draw(mutated(signed_taco_bytes))
    note(what)
    taco = folder / "mutated-child.taco"
    taco.write_bytes(mutant)
    assert_never_looser(taco, pki.root_pem, java_store)
