"""The batch path of the fast mzML reader (``_MzMLScanner._run_batch``) changes nothing the
reader returns or refuses.

The batch reads runs of spectra with fewer steps per spectrum (markup compared with the last
spectrum's, values converted and arrays decoded for the whole batch). These tests put odd
spectra in the *middle* of a file, where the batch is under way, and check that it stops
before them and that the result (or the refusal, word for word) is the careful walk's.
``tests/ms/test_mzml_fastpath.py`` holds the broader fast == careful checks.
"""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import numpy as np
import pytest

from omicsnet.errors import DataError
from omicsnet.ms import mzml
from omicsnet.ms.mzml import read_ms_run
from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_cohort, write_synthetic_mzml

from .test_mzml_fastpath import _nth as nth
from .test_mzml_fastpath import assert_same_run

PEAKS = [PlantedPeak(150.25, 0.8, 2e5, 0.1), PlantedPeak(612.4, 1.1, 5e4, 0.15)]
MIDDLE = 11  # the spectrum (1-based) that the mutations below change


def outcome(path: Path, monkeypatch, *, careful: bool, **kwargs):
    """The run read with the batch (or with the careful walk only), or the error text."""
    with monkeypatch.context() as patch:
        if careful:
            patch.setattr(mzml._MzMLScanner, "_run_fast", lambda self, buf, pos: pos)
        try:
            return read_ms_run(path, **kwargs)
        except DataError as err:
            return str(err)


def assert_same_outcome(path: Path, monkeypatch, **kwargs) -> None:
    batch = outcome(path, monkeypatch, careful=False, **kwargs)
    careful = outcome(path, monkeypatch, careful=True, **kwargs)
    if isinstance(batch, str) or isinstance(careful, str):
        assert batch == careful, path.name
    else:
        assert batch.reader == careful.reader, path.name  # "auto": pyteomics for both or none
        assert_same_run(batch, careful)


def count_batch_spectra(path: Path, monkeypatch, **kwargs) -> tuple[int, int]:
    """(spectra read by the batch, all spectra) of one read."""
    read = []
    original = mzml._MzMLScanner._run_batch

    def counting(self, buf, pos):
        before = self.collector.n_seen()
        result = original(self, buf, pos)
        read.append(self.collector.n_seen() - before)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(mzml._MzMLScanner, "_run_batch", counting)
        run = read_ms_run(path, reader="fast", **kwargs)
    return sum(read), sum(run.level_counts.values())


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("batch")
    truth = write_synthetic_mzml(
        folder / "t.mzML", peaks=PEAKS, n_scans=10, ms2_per_ms1=1, noise_peaks=12
    )
    return truth.path.read_bytes()


def _nth(data: bytes, old: bytes, new: bytes, n: int = MIDDLE) -> bytes:
    return nth(data, old, new, n)


def _spectrum_bounds(data: bytes, n: int = MIDDLE) -> tuple[int, int]:
    at = -1
    for _ in range(n):
        at = data.index(b"<spectrum ", at + 1)
    return at, data.index(b"</spectrum>", at) + len(b"</spectrum>")


def _mid_mutations(data: bytes) -> dict[str, bytes]:
    """Odd spellings of one spectrum in the middle of the file (and a few of the whole)."""
    lo, hi = _spectrum_bounds(data)
    one = data[lo:hi]
    text_at = data.index(b"<binary>", lo) + 8
    text_end = data.index(b"</binary>", text_at)
    payload = data[text_at:text_end]
    return {
        "bang-in-user-param": _nth(data, b"<scanList", b'<userParam name="a!" value=""/><scanList'),
        "comment-in-header": _nth(data, b"<scanList", b"<!-- c --><scanList"),
        "group-ref-in-header": _nth(
            data, b"<scanList", b'<referenceableParamGroupRef ref="g"/><scanList'
        ),
        "array-length": _nth(data, b"<binaryDataArray ", b'<binaryDataArray arrayLength="3" '),
        "accession-in-array-tag": _nth(
            data, b"<binaryDataArray ", b'<binaryDataArray accession="MS:1000523" '
        ),
        "lt-in-array-tag": _nth(data, b"<binaryDataArray ", b'<binaryDataArray a="<b" '),
        "empty-binary": data[: text_at - 8] + b"<binary/>" + data[text_end + 9 :],
        "text-after-arrays": _nth(
            data, b"</binaryDataArrayList>", b"</binaryDataArrayList>text\n", MIDDLE
        ),
        "third-array": _nth(
            data,
            b"</binaryDataArrayList>",
            b'<binaryDataArray encodedLength="0"><cvParam cvRef="MS" accession="MS:1000786"'
            b' name="non-standard data array" value="x"/><cvParam cvRef="MS"'
            b' accession="MS:1000523" name="64-bit float"/><cvParam cvRef="MS"'
            b' accession="MS:1000576" name="no compression"/><binary></binary>'
            b"</binaryDataArray></binaryDataArrayList>",
        ),
        "one-array": data[:lo]
        + one[: one.index(b"<binaryDataArray ")]
        + one[one.index(b"</binaryDataArray>") + 18 :]
        + data[hi:],
        "no-arrays": data[:lo]
        + one[: one.index(b"<binaryDataArrayList")]
        + b"</spectrum>"
        + data[hi:],
        "self-closed-spectrum": data[:lo] + b'<spectrum id="x" index="9"/>\n' + data[lo:],
        "value-before-accession": _nth(
            data,
            b'accession="MS:1000016" name="scan start time" value="',
            b'value="1.25" accession="MS:1000016" name="scan start time" v="',
            MIDDLE // 2,
        ),
        "seconds-in-the-middle": _nth(
            data, b'unitAccession="UO:0000031"', b'unitAccession="UO:0000010"', MIDDLE // 2
        ),
        "unknown-unit-in-the-middle": _nth(
            data, b'unitAccession="UO:0000031"', b'unitAccession="UO:9"', MIDDLE // 2
        ),
        "time-not-a-number": _nth(data, b'value="0.', b'value="x.', MIDDLE // 2),
        "time-with-underscore": _nth(data, b'value="0.', b'value="0_0.', MIDDLE // 2),
        "level-not-a-number": _nth(data, b'name="ms level" value="', b'name="ms level" value="+'),
        "length-not-digits": _nth(data, b'defaultArrayLength="', b'defaultArrayLength=" '),
        "length-wrong": _nth(data, b'defaultArrayLength="', b'defaultArrayLength="1'),
        "id-entity": _nth(data, b' id="', b' id="&amp;'),
        "id-line-break": _nth(data, b' id="', b' id="a\nb'),
        "id-not-utf8": _nth(data, b' id="', b' id="\xff'),
        "id-absent": _nth(data, b' id="', b' iid="'),
        "base64-with-line-breaks": data[:text_at]
        + payload[:8]
        + b"\n"
        + payload[8:]
        + data[text_end:],
        "base64-bad-padding": data[:text_at] + payload + b"=" + data[text_end:],
        "base64-padding-inside": data[:text_at] + b"AA==" + payload + data[text_end:],
        "zlib-corrupt": data[:text_at]
        + base64.b64encode(base64.b64decode(payload)[:-4] + b"\x00" * 4)  # bad checksum
        + data[text_end:],
        "zlib-short": data[:text_at]
        + base64.b64encode(zlib.compress(np.zeros(3, "<f8").tobytes()))
        + data[text_end:],
        "nul-after-tags": data[:lo]
        + one.replace(b">", b">\x00", 3).replace(b"</binary>", b"</binary>\x00")
        + data[hi:],
        "nul-between-spectra": data[:hi] + b"\x00" + data[hi:],
        "other-cvparams-mid-file": _nth(data, b"<scanList", b'<cvParam accession="X"/><scanList'),
        "64-bit-intensities-mid-file": _nth(
            data, b'accession="MS:1000521" name="32-bit float"', b'accession="MS:1000523"'
        ),
        "duplicated-middle-spectrum": data[:hi] + b"\n" + one + data[hi:],
        "cut-after-middle": data[:hi],
        "comment-between-spectra": data[:hi] + b"<!-- c -->" + data[hi:],
    }


def test_batch_equals_careful_walk_on_odd_spectra_mid_file(template, tmp_path, monkeypatch):
    for name, mutated in _mid_mutations(template).items():
        assert mutated != template, name
        path = tmp_path / f"{name}.mzML"
        path.write_bytes(mutated)
        for level in (None, 1, 2):
            assert_same_outcome(path, monkeypatch, ms_level=level, reader="fast")
        assert_same_outcome(path, monkeypatch)  # "auto": pyteomics where both give up


def test_batch_reads_all_but_the_first_spectrum_of_generated_files(tmp_path, monkeypatch):
    cohort = write_synthetic_cohort(tmp_path / "cohort", n_per_class=1, classes=("a", "b"))
    dda = write_synthetic_mzml(tmp_path / "dda.mzML", peaks=PEAKS, n_scans=10, ms2_per_ms1=2)
    plain = write_synthetic_mzml(
        tmp_path / "plain.mzML.gz", peaks=PEAKS, n_scans=10, compression="none", mz_precision=32
    )
    for path in [*cohort.files, dda.path, plain.path]:
        for level in (None, 1):
            in_batch, total = count_batch_spectra(path, monkeypatch, ms_level=level)
            # the careful walk reads the first spectrum (and the first of each new kind of
            # array: an MS2 spectrum stored otherwise); the batch reads every other one
            assert in_batch >= total - 2, (path.name, level, in_batch, total)
            assert_same_outcome(path, monkeypatch, ms_level=level, reader="fast")


@pytest.mark.data
def test_batch_reads_nearly_every_real_spectrum(shared_data, monkeypatch):
    for path in sorted((shared_data / "lcms" / "mzml").iterdir()):
        if "chrom" in path.name or path.name.endswith(".mzXML") or path.name == "test.mzML":
            continue  # test.mzML: 2 spectra, both of a new kind of array
        in_batch, total = count_batch_spectra(path, monkeypatch)
        assert in_batch >= total - 4, (path.name, in_batch, total)


def test_bomb_in_a_middle_spectrum_is_refused_as_the_careful_walk_refuses_it(
    template, tmp_path, monkeypatch
):
    lo, _ = _spectrum_bounds(template)
    text_at = template.index(b"<binary>", lo) + 8
    text_end = template.index(b"</binary>", text_at)
    packer = zlib.compressobj(9)
    stream = packer.compress(bytes(32 << 20)) + packer.flush()  # > _SMALL_DEFLATE bytes
    assert len(stream) > mzml._SMALL_DEFLATE
    path = tmp_path / "bomb.mzML"
    path.write_bytes(template[:text_at] + base64.b64encode(stream) + template[text_end:])
    batch = outcome(path, monkeypatch, careful=False)
    assert isinstance(batch, str) and "decompression bomb" in batch
    assert batch == outcome(path, monkeypatch, careful=True)


def test_batch_state_does_not_leak_between_files(template, tmp_path, monkeypatch):
    """Markup remembered from one file is never trusted in the next (one scanner a file)."""
    other = template.replace(b'unitAccession="UO:0000031"', b'unitAccession="UO:0000010"')
    first, second = tmp_path / "a.mzML", tmp_path / "b.mzML"
    first.write_bytes(template)
    second.write_bytes(other)
    a, b = read_ms_run(first), read_ms_run(second)
    np.testing.assert_allclose(b.rt, a.rt / 60.0)
    assert_same_outcome(second, monkeypatch)


def test_batch_reads_the_same_whatever_the_block_size(template, tmp_path, monkeypatch):
    """Blocks may end anywhere in a spectrum (inside a tag, a text, the markup the batch
    compares with the last spectrum's): the run is the same as from one block."""
    path = tmp_path / "t.mzML"
    path.write_bytes(template)
    whole = read_ms_run(path, reader="fast")
    sizes = sorted({*range(150, 420, 7), *range(1000, 1100, 3), 4096})
    for size in sizes:
        monkeypatch.setattr(mzml, "CHUNK_SIZE", size)
        assert_same_run(read_ms_run(path, reader="fast"), whole)
