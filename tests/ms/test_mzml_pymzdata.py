"""reader='pymzdata': identical arrays on every shared file, and no hostile file gets through.

pymzdata alone returns 0 spectra for corrupt base64, partial reads of truncated files,
short arrays, and panics (a BaseException) on bad zlib streams and entities; every case
here must end in one DataError naming the file, or in arrays equal to the fast reader's.
"""

from __future__ import annotations

import base64
import gzip
import math
import zlib

import numpy as np
import pytest

from omicsnet.errors import DataError
from omicsnet.ms import pymzdata as mzml_pymzdata
from omicsnet.ms.mzml import read_ms_run
from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_mzml

pymzdata = pytest.importorskip("pymzdata")

SHARED = [
    "test.mzML",
    "example.mzML",
    "FeatureFinderMetabo_1_input.mzML",
    "FeatureFinderMetaboIdent_1_input.mzML",
    "GNPSExport_mzml1.mzML",
    "GNPSExport_mzml2.mzML",
]
SHARED_GZ = [
    "QualityControl_1_in1.mzML.gz",
    "QualityControl_1_in2.mzML.gz",
    "QualityControl_1_in3.mzML.gz",
]


def assert_same_arrays(a, b) -> None:
    assert a.ids == b.ids and a.format == b.format
    np.testing.assert_array_equal(a.ms_level, b.ms_level)
    np.testing.assert_array_equal(a.rt, b.rt)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert a.mz.dtype == b.mz.dtype and a.intensity.dtype == b.intensity.dtype
    np.testing.assert_array_equal(a.mz, b.mz)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert a.level_counts == b.level_counts
    assert a.sha256 == b.sha256 and a.n_bytes == b.n_bytes


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A small zlib-compressed synthetic mzML with MS1 and MS2 spectra, and its bytes."""
    folder = tmp_path_factory.mktemp("pymzdata")
    truth = write_synthetic_mzml(
        folder / "good.mzML",
        peaks=[PlantedPeak(150.25, 0.8, 2e5, 0.1)],
        n_scans=6,
        noise_peaks=5,
        ms2_per_ms1=1,
    )
    return truth, truth.path.read_bytes()


# ---------------------------------------------------------------------------- real files
@pytest.mark.data
@pytest.mark.parametrize("name", SHARED)
def test_shared_file_pymzdata_equals_fast_reader(shared_data, name):
    path = shared_data / "lcms" / "mzml" / name
    ours = read_ms_run(path)
    theirs = read_ms_run(path, reader="pymzdata")
    assert theirs.reader == "pymzdata" and ours.reader == "fast"
    assert_same_arrays(theirs, ours)
    ms1 = read_ms_run(path, reader="pymzdata", ms_level=1)
    assert_same_arrays(ms1, ours.select(ours.ms_level == 1))


@pytest.mark.data
@pytest.mark.parametrize("name", SHARED_GZ)
def test_gzipped_shared_file_is_refused_and_its_gunzipped_copy_matches(shared_data, tmp_path, name):
    path = shared_data / "lcms" / "mzml" / name
    with pytest.raises(DataError, match=rf"{name}: pymzdata cannot read gzip"):
        read_ms_run(path, reader="pymzdata")
    plain = tmp_path / name.removesuffix(".gz")
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    assert_same_arrays(read_ms_run(plain, reader="pymzdata"), read_ms_run(plain))


@pytest.mark.data
def test_shared_mzxml_and_chromatogram_only_files(shared_data):
    folder = shared_data / "lcms" / "mzml"
    with pytest.raises(DataError, match=r"test\.mzXML: pymzdata does not read mzXML"):
        read_ms_run(folder / "test.mzXML", reader="pymzdata")
    with pytest.raises(DataError, match=r"mini\.chrom\.mzML: no spectra; chromatogram-only"):
        read_ms_run(folder / "mini.chrom.mzML", reader="pymzdata")


def test_synthetic_file_with_ms_level_filter(good):
    truth, _ = good
    run = read_ms_run(truth.path, reader="pymzdata", ms_level=2)
    assert len(run) == 6 and run.level_counts == {1: 6, 2: 6}
    assert_same_arrays(run, read_ms_run(truth.path, ms_level=2))


# ---------------------------------------------------------------------------- hostile files
def _hostile(data: bytes) -> dict[str, bytes]:
    text_at = data.index(b"<binary>") + 8
    text_end = data.index(b"</binary>", text_at)
    return {
        "corrupt_base64": data[:text_at] + b"!!!!" + data[text_at + 4 :],
        "bad_zlib": data[:text_at]
        + base64.b64encode(b"\x78\x9cnot a deflate stream")
        + data[text_end:],
        "truncated_half": data[: len(data) // 2],
        "truncated_before_root_end": data[: data.rindex(b"</indexedmzML>")],
        "short_array": data.replace(b'defaultArrayLength="', b'defaultArrayLength="1', 1),
        "not_xml": b"hello, this is not XML\n",
        "binary_junk": bytes(range(256)) * 4,
    }


EXPECTED = {
    "corrupt_base64": "pymzdata returned 0 spectra, the file holds 12",
    "bad_zlib": "pymzdata failed \\(PanicException",
    "truncated_half": "truncated",
    "truncated_before_root_end": "truncated",
    "short_array": "declares",
    "not_xml": "not XML",
    "binary_junk": "not XML",
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_hostile_files_raise_one_clear_error(good, tmp_path, case):
    _, data = good
    path = tmp_path / f"{case}.mzML"
    path.write_bytes(_hostile(data)[case])
    with pytest.raises(DataError, match=rf"{case}\.mzML: .*{EXPECTED[case]}"):
        read_ms_run(path, reader="pymzdata")


def test_empty_and_missing_files(tmp_path):
    path = tmp_path / "empty.mzML"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.mzML: empty file"):
        read_ms_run(path, reader="pymzdata")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE mzML [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE mzML [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
"""


@pytest.mark.parametrize(
    "doctype,entity", [(BILLION_LAUGHS, b"&lol2;"), (EXTERNAL_ENTITY, b"&secret;")]
)
def test_entities_are_refused_before_pymzdata_sees_the_file(
    good, tmp_path, monkeypatch, doctype, entity
):
    _, data = good
    body = data[data.index(b"<indexedmzML") :].replace(b'id="scan=1"', b'id="' + entity + b'"', 1)
    path = tmp_path / "evil.mzML"
    path.write_bytes(doctype + body)

    def never(*args, **kwargs):
        raise AssertionError("pymzdata must not open a file with a DOCTYPE")

    monkeypatch.setattr(pymzdata, "MZReader", never)
    with pytest.raises(DataError, match=r"evil\.mzML: refusing to parse: .*DOCTYPE"):
        read_ms_run(path, reader="pymzdata")


class FakePanic(BaseException):
    """Stands in for pyo3_runtime.PanicException (a BaseException, not an Exception)."""


class _PanickingReader:
    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __iter__(self):
        raise FakePanic("called `Option::unwrap()` on a `None` value")


def test_a_panic_becomes_a_data_error(good, monkeypatch):
    truth, _ = good
    monkeypatch.setattr(pymzdata, "MZReader", _PanickingReader)
    with pytest.raises(DataError, match=r"good\.mzML: pymzdata failed \(FakePanic: called"):
        read_ms_run(truth.path, reader="pymzdata")


def test_keyboard_interrupt_is_not_swallowed(good, monkeypatch):
    truth, _ = good

    class Interrupted(_PanickingReader):
        def __iter__(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(pymzdata, "MZReader", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_ms_run(truth.path, reader="pymzdata")


def test_reordered_or_skipped_spectra_are_refused(good, monkeypatch):
    """A reader that drops a spectrum is caught by the ID check, not trusted."""
    truth, _ = good
    real = pymzdata.MZReader

    class Skipping:
        def __init__(self, path: str) -> None:
            self.inner = real(path)

        def __enter__(self):
            self.inner.__enter__()
            return self

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

        def __iter__(self):
            return (s for i, s in enumerate(self.inner) if i != 3)

    monkeypatch.setattr(pymzdata, "MZReader", Skipping)
    with pytest.raises(DataError, match=r"good\.mzML: pymzdata's spectrum 3 is 'scan=5'"):
        read_ms_run(truth.path, reader="pymzdata")


def test_not_installed_is_a_clear_error(good, monkeypatch):
    truth, _ = good
    monkeypatch.setattr(mzml_pymzdata, "pymzdata_available", lambda: False)
    with pytest.raises(DataError, match=r"good\.mzML: reader='pymzdata' needs the pymzdata"):
        read_ms_run(truth.path, reader="pymzdata")


def test_thermo_raw_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "run.raw"
    path.write_bytes(mzml_pymzdata.THERMO_RAW_MAGIC + bytes(200))
    with pytest.raises(DataError, match=r"run\.raw: a Thermo RAW file: .*msconvert"):
        read_ms_run(path, reader="pymzdata")


# ---------------------------------------------------------------------------- MGF
def _mgf(spectra, *, header: bytes = b"", comment: bytes = b"") -> bytes:
    parts = [comment, header]
    for title, seconds, mz, intensity in spectra:
        parts.append(b"BEGIN IONS\nTITLE=%s\nPEPMASS=500.25\nCHARGE=2+\n" % title.encode())
        if seconds is not None:
            parts.append(b"RTINSECONDS=%r\n" % seconds)
        for m, i in zip(mz, intensity, strict=True):
            parts.append(b"%r %r\n" % (float(m), float(i)))
        parts.append(b"END IONS\n\n")
    return b"".join(parts)


MGF_SPECTRA = [
    ("first", 65.5, [100.5, 200.25, 300.125], [10.0, 20.5, 30.0]),
    ("second", None, [150.75], [5.0]),
    ("third", 125.0, [110.0, 220.0], [1.0, 2.0]),
]


def test_mgf_goes_to_pymzdata_under_auto(tmp_path):
    path = tmp_path / "ms2.mgf"
    path.write_bytes(_mgf(MGF_SPECTRA, header=b"COM=made by a test\n"))
    run = read_ms_run(path)
    assert run.reader == "pymzdata" and run.format == "MGF"
    assert run.ids == ["first", "second", "third"] and run.level_counts == {2: 3}
    assert run.rt[0] == pytest.approx(65.5 / 60) and math.isnan(run.rt[1])
    assert run.rt[2] == pytest.approx(125.0 / 60)
    for i, (_, _, mz, intensity) in enumerate(MGF_SPECTRA):
        got_mz, got_intensity = run.spectrum(i)
        np.testing.assert_array_equal(got_mz, mz)
        np.testing.assert_allclose(got_intensity, intensity, rtol=1e-7)
    with pytest.raises(DataError, match="not XML"):  # the XML readers still say what it is
        read_ms_run(path, reader="fast")


def test_mgf_that_pymzdata_reads_as_empty_is_refused(tmp_path):
    """A comment line (allowed by the format) makes pymzdata 0.68 return no spectra."""
    path = tmp_path / "commented.mgf"
    path.write_bytes(_mgf(MGF_SPECTRA, comment=b"# exported by a test\n"))
    with pytest.raises(DataError, match=r"commented\.mgf: pymzdata returned 0 spectra"):
        read_ms_run(path)


def test_truncated_mgf_is_refused(tmp_path):
    data = _mgf(MGF_SPECTRA)
    path = tmp_path / "cut.mgf"
    path.write_bytes(data[: data.rindex(b"END IONS")])
    with pytest.raises(DataError, match=r"cut\.mgf: truncated MGF"):
        read_ms_run(path)


def test_looks_like_mgf_is_strict(tmp_path):
    path = tmp_path / "x.txt"
    for content, expected in [
        (_mgf(MGF_SPECTRA), True),
        (b"\n\n# note\nBEGIN IONS\nEND IONS\n", True),
        (b"hello, this is not MGF\nBEGIN IONS\n", False),
        (b"KEY=value\nno block here\n", False),
        (zlib.compress(_mgf(MGF_SPECTRA)), False),
    ]:
        path.write_bytes(content)
        assert mzml_pymzdata.looks_like_mgf(path) is expected, content[:30]


def test_mgf_without_pymzdata_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "ms2.mgf"
    path.write_bytes(_mgf(MGF_SPECTRA))
    monkeypatch.setattr(mzml_pymzdata, "pymzdata_available", lambda: False)
    with pytest.raises(DataError, match=r"ms2\.mgf: .*MGF files are read with it.*pymzdata\]"):
        read_ms_run(path)
