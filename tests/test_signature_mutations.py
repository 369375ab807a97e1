"""Random damage to the signature files of a good signed taco: the manifest, the .SF file and the signature block.

Whatever the bytes become, ``verify`` stays bounded and never says Tableau will load what jarsigner refuses.
(Damage to the archive structure itself is the strict archive reader's business and is tested with it.)
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential import assert_never_looser
from tests.pki import Pki

_TARGETS = ["META-INF/MANIFEST.MF", "META-INF/AUTHOR.SF", "META-INF/AUTHOR.RSA"]


def _mutated(taco: bytes, target: str, edits: list[tuple[float, int, bytes]]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(taco)) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            if info.filename == target:
                changed = bytearray(data)
                for where, cut, insert in edits:
                    at = int(where * len(changed))
                    changed[at : at + cut] = insert
                data = bytes(changed)
            archive.writestr(info, data)
    return out.getvalue()


_EDIT = st.tuples(
    st.floats(0, 1, allow_nan=False, exclude_max=True),
    st.integers(0, 4),
    st.one_of(
        st.binary(max_size=4),
        st.sampled_from([b"\r\n", b"\n ", b": ", b"\r\n\r\n", b"Name: a", b"\x00", b"\x30\x80", b"\xff" * 4]),
    ),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(_TARGETS), edits=st.lists(_EDIT, min_size=1, max_size=3))
def test_damaged_signature_files_are_never_accepted_where_jarsigner_refuses(
    signed_taco_bytes: bytes,
    pki: Pki,
    java_store: Path | None,
    tmp_path: Path,
    target: str,
    edits: list[tuple[float, int, bytes]],
) -> None:
    taco = tmp_path / "damaged.taco"
    taco.write_bytes(_mutated(signed_taco_bytes, target, edits))
    assert_never_looser(taco, pki.root_pem, java_store)
