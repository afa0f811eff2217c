"""Class 2 of the hostile walk: small files that would hang or exhaust memory.

Generated here (nothing stored): a gzipped mzML that inflates to hundreds of megabytes of
whitespace, one whose spectrum never ends, and one whose binary array is a zlib bomb,
each read by every command that reads mzML. Each must end within the time limit, under
the memory limit of the harness, with one line naming the file.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from pathlib import Path

import pytest

from tests.hostile.harness import run_guarded

HEAD = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<mzML xmlns="http://psi.hupo.org/ms/mzml" '
    b'version="1.1.0"><run id="r"><spectrumList count="1">'
)


def _gzip_bomb(path: Path, body: bytes, megabytes: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(HEAD)
        chunk = body * max(1, (1 << 20) // len(body))
        for _ in range(megabytes):
            handle.write(chunk)
    return path


def _zlib_array_bomb(path: Path, megabytes: int) -> Path:
    bomb = base64.b64encode(zlib.compress(b"\0" * (megabytes << 20), 9)).decode()
    array = (
        '<binaryDataArray encodedLength="{n}"><cvParam cvRef="MS" accession="MS:1000523" '
        'name="64-bit float"/><cvParam cvRef="MS" accession="MS:1000574" name="zlib compression"/>'
        '<cvParam cvRef="MS" accession="MS:{acc}" name="{name}"/><binary>{data}</binary>'
        "</binaryDataArray>"
    )
    spectrum = (
        '<spectrum index="0" id="scan=1" defaultArrayLength="2">'
        '<cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="1"/>'
        '<scanList count="1"><scan><cvParam cvRef="MS" accession="MS:1000016" '
        'name="scan start time" value="1.0" unitCvRef="UO" unitAccession="UO:0000031" '
        'unitName="minute"/></scan></scanList><binaryDataArrayList count="2">'
        + array.format(n=len(bomb), acc="1000514", name="m/z array", data=bomb)
        + array.format(n=len(bomb), acc="1000515", name="intensity array", data=bomb)
        + "</binaryDataArrayList></spectrum></spectrumList></run></mzML>\n"
    )
    path.write_bytes(HEAD + spectrum.encode())
    return path


BOMBS = {
    "whitespace": lambda p: _gzip_bomb(p / "spaces.mzML.gz", b" ", 160),
    "endless-spectrum": lambda p: _gzip_bomb(
        p / "endless.mzML.gz",
        b'<cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="1"/>\n',
        320,
    ),
    "zlib-array": lambda p: _zlib_array_bomb(p / "zlib.mzML", 512),
}

COMMANDS = {
    "convert": lambda f, out: ["lcms", "convert", str(f), "--out", str(out), "--no-cache"],
    "images": lambda f, out: ["lcms", "images", str(f), "--out", str(out / "img.npz")],
    "peaks-build": lambda f, out: [
        "lcms", "peaks-build", "--mzml", str(f), "--features", str(f.parent / "features.csv"),
        "--out", str(out / "peaks.npz"),
    ],
}  # fmt: skip


# every bomb through `lcms convert` in the default run; through the other readers, slow
CASES = [
    pytest.param(bomb, command, marks=[] if command == "convert" else [pytest.mark.slow])
    for bomb in sorted(BOMBS)
    for command in sorted(COMMANDS)
]


@pytest.mark.parametrize(("bomb", "command"), CASES)
def test_a_bomb_is_refused_in_bounded_time_and_memory(bomb, command, tmp_path):
    path = BOMBS[bomb](tmp_path)
    (tmp_path / "features.csv").write_text("id,mz_min,mz_max,rt_min,rt_max\na,99,101,0.5,1.5\n")
    out = tmp_path / "out"
    outcome = run_guarded(*COMMANDS[command](path, out), timeout=240)
    assert outcome.peak_rss_mb < 2000, outcome.peak_rss_mb
    if command == "convert":  # batch conversion reports failed files and exits 2
        assert outcome.returncode == 2 and "Traceback" not in outcome.stderr, outcome.stderr
        assert path.name in outcome.stderr
        assert not list(out.glob("*.npz"))
    else:
        outcome.assert_user_error(path.name)
