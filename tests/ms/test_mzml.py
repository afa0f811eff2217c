"""Reading mzML/mzXML: fast reader == pyteomics, real files, safety and integrity errors."""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import zlib

import numpy as np
import pytest

from omicsnet.errors import DataError, DataNotFoundError
from omicsnet.ms import mzml
from omicsnet.ms.mzml import MSRun, read_ms_run, sniff_format
from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_mzml

# Every file of <shared_data>/lcms/mzml with what it holds (spectra per MS level);
# None: the file must be refused with a clear error.
SHARED_FILES: dict[str, dict[int, int] | None] = {
    "test.mzML": {1: 2},
    "test.mzXML": {1: 1, 2: 1},
    "example.mzML": {1: 11},
    "mini.chrom.mzML": None,
    "FeatureFinderMetabo_1_input.mzML": {1: 279},
    "FeatureFinderMetaboIdent_1_input.mzML": {1: 380},
    "GNPSExport_mzml1.mzML": {1: 106, 2: 319},
    "GNPSExport_mzml2.mzML": {1: 95, 2: 285},
    "QualityControl_1_in1.mzML.gz": {1: 207, 2: 180},
    "QualityControl_1_in2.mzML.gz": {1: 162, 2: 176},
    "QualityControl_1_in3.mzML.gz": {1: 162, 2: 161},
}
READABLE = [name for name, levels in SHARED_FILES.items() if levels is not None]
# pyteomics takes ~1 s on each of these; they run with -m slow (the others cover the same
# kinds: profile, centroid, DDA MS1+MS2, gzip, mzXML)
SLOW = {
    "FeatureFinderMetaboIdent_1_input.mzML",
    "GNPSExport_mzml2.mzML",
    "QualityControl_1_in2.mzML.gz",
    "QualityControl_1_in3.mzML.gz",
}
READABLE_PARAMS = [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in READABLE
]

PEAKS = [PlantedPeak(150.25, 0.8, 2e5, 0.1), PlantedPeak(612.4, 1.1, 5e4, 0.15)]

# (name, options for write_synthetic_mzml)
VARIANTS = {
    "centroid-zlib-64-min-ms2": dict(ms2_per_ms1=2),
    "profile-none-32-sec-gz": dict(
        profile=True, compression="none", mz_precision=32, rt_unit="second"
    ),
    "centroid-none-64x64-noise": dict(compression="none", intensity_precision=64, noise_peaks=40),
    "profile-zlib-32x64-sec-ms2-gz": dict(
        profile=True, mz_precision=32, intensity_precision=64, rt_unit="second", ms2_per_ms1=1
    ),
}


def assert_same_run(a: MSRun, b: MSRun) -> None:
    """Identical spectra: IDs, levels, times, offsets, arrays (values and dtypes), checksum."""
    assert a.ids == b.ids
    assert a.format == b.format
    np.testing.assert_array_equal(a.ms_level, b.ms_level)
    np.testing.assert_array_equal(a.rt, b.rt)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert a.mz.dtype == b.mz.dtype and a.intensity.dtype == b.intensity.dtype
    np.testing.assert_array_equal(a.mz, b.mz)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert a.level_counts == b.level_counts
    assert a.sha256 == b.sha256 and a.n_bytes == b.n_bytes


def assert_matches_truth(run: MSRun, truth) -> None:
    assert run.ids == truth.ids
    np.testing.assert_array_equal(run.ms_level, truth.ms_level)
    np.testing.assert_array_equal(run.rt, truth.rt)
    for i in range(len(truth.ids)):
        mz, intensity = run.spectrum(i)
        assert mz.dtype == truth.mz[i].dtype and intensity.dtype == truth.intensity[i].dtype
        np.testing.assert_array_equal(mz, truth.mz[i])
        np.testing.assert_array_equal(intensity, truth.intensity[i])


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict:
    """One written file (and what was written) per variant."""
    folder = tmp_path_factory.mktemp("synthetic_mzml")
    out = {}
    for name, options in VARIANTS.items():
        suffix = ".mzML.gz" if name.endswith("gz") else ".mzML"
        out[name] = write_synthetic_mzml(
            folder / f"{name}{suffix}", peaks=PEAKS, n_scans=8, seed=3, **options
        )
    return out


@pytest.fixture(scope="module")
def plain(synthetic):
    """A plain (uncompressed-file, zlib-array) synthetic mzML with MS2 scans."""
    return synthetic["centroid-zlib-64-min-ms2"]


# ---------------------------------------------------------------------------- synthetic
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("reader", ["fast", "pyteomics"])
def test_readers_return_exactly_what_was_written(synthetic, variant, reader):
    truth = synthetic[variant]
    run = read_ms_run(truth.path, reader=reader)
    assert run.reader == reader
    assert_matches_truth(run, truth)


def test_checksum_size_and_times_in_minutes(synthetic):
    truth = synthetic["profile-none-32-sec-gz"]  # stored in seconds, gzipped
    run = read_ms_run(truth.path)
    assert run.sha256 == hashlib.sha256(truth.path.read_bytes()).hexdigest()
    assert run.n_bytes == truth.path.stat().st_size
    np.testing.assert_allclose(run.rt, 0.5 + 0.1 * np.arange(8), rtol=0, atol=1e-12)


def test_ms_level_filter_and_counts(plain):
    everything = read_ms_run(plain.path)
    ms1 = read_ms_run(plain.path, ms_level=1)
    ms2 = read_ms_run(plain.path, ms_level=[2])
    assert everything.level_counts == ms1.level_counts == ms2.level_counts == {1: 8, 2: 16}
    assert len(ms1) == 8 and set(ms1.ms_level.tolist()) == {1}
    assert len(ms2) == 16 and set(ms2.ms_level.tolist()) == {2}
    assert_same_run(ms1, everything.select(everything.ms_level == 1))
    assert read_ms_run(plain.path, ms_level=3, reader="pyteomics").n_peaks == 0


@pytest.mark.parametrize("chunk_size", [97, 4096])
def test_streaming_with_tiny_blocks(plain, synthetic, monkeypatch, chunk_size):
    """Blocks that cut every tag, base64 run and gzip member at odd places."""
    reference = {name: read_ms_run(run.path) for name, run in synthetic.items()}
    monkeypatch.setattr(mzml, "CHUNK_SIZE", chunk_size)
    for name, run in synthetic.items():
        streamed = read_ms_run(run.path, reader="fast")
        assert_same_run(streamed, reference[name])


def test_multi_member_gzip(plain, tmp_path):
    data = plain.path.read_bytes()
    half = len(data) // 2
    target = tmp_path / "two_members.mzML.gz"
    target.write_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]))
    assert_matches_truth(read_ms_run(target, reader="fast"), plain)
    assert_matches_truth(read_ms_run(target, reader="pyteomics"), plain)


def test_fast_reader_gives_up_and_auto_falls_back(plain, tmp_path, caplog):
    """A comment inside a spectrum: the fast reader refuses, pyteomics reads it."""
    text = plain.path.read_bytes().replace(b"<scanList", b"<!-- a note --><scanList", 1)
    path = tmp_path / "commented.mzML"
    path.write_bytes(text)
    with pytest.raises(DataError, match=r"commented\.mzML: the fast reader cannot read"):
        read_ms_run(path, reader="fast")
    with caplog.at_level(logging.INFO, logger="omicsnet.ms.mzml"):
        run = read_ms_run(path)
    assert run.reader == "pyteomics"
    assert "fast reader gave up" in caplog.text
    assert_matches_truth(run, plain)


def test_numpress_is_left_to_pyteomics(plain, tmp_path):
    text = plain.path.read_bytes().replace(
        b'accession="MS:1000574" name="zlib compression"',
        b'accession="MS:1002312" name="MS-Numpress linear prediction compression"',
        1,
    )
    path = tmp_path / "numpress.mzML"
    path.write_bytes(text)
    with pytest.raises(DataError, match="numpress"):
        read_ms_run(path, reader="fast")


def test_comments_between_spectra_are_fine(plain, tmp_path):
    text = plain.path.read_bytes().replace(b"</spectrum>", b"</spectrum><!-- ok -->", 3)
    path = tmp_path / "between.mzML"
    path.write_bytes(text)
    assert_matches_truth(read_ms_run(path, reader="fast"), plain)


def test_commented_out_spectrum_is_not_read_by_the_fast_reader(plain, tmp_path):
    data = plain.path.read_bytes()
    start = data.index(b"<spectrum ")
    end = data.index(b"</spectrum>") + len(b"</spectrum>")
    path = tmp_path / "hidden.mzML"
    path.write_bytes(data[:start] + b"<!--" + data[start:end] + b"-->" + data[end:])
    run = read_ms_run(path)  # falls back; pyteomics drops the comment
    assert run.reader == "pyteomics"
    assert run.ids == plain.ids[1:]


def test_spectra_table(plain):
    table = read_ms_run(plain.path).table()
    assert list(table.columns) == ["id", "ms_level", "rt_min", "n_peaks"]
    assert len(table) == 24 and table["n_peaks"].sum() > 0


# ---------------------------------------------------------------------------- mzXML
def _mzxml(scans, *, nested: bool, zlib_on: bool = False, precision: int = 32) -> bytes:
    """A small mzXML document; scans are (num, level, seconds, mz, intensity)."""
    dtype = ">f4" if precision == 32 else ">f8"
    parts = [b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<mzXML xmlns="http://x">\n<msRun>\n']
    open_ms1 = False
    for num, level, seconds, mz, intensity in scans:
        pairs = np.empty(2 * len(mz), dtype=dtype)
        pairs[0::2], pairs[1::2] = mz, intensity
        raw = pairs.tobytes()
        if zlib_on:
            raw = zlib.compress(raw)
        compression = b' compressionType="zlib"' if zlib_on else b""
        if nested and level == 1 and open_ms1:
            parts.append(b"</scan>\n")
        parts.append(
            b'<scan num="%d" msLevel="%d" peaksCount="%d" retentionTime="PT%sS">\n'
            b'<peaks precision="%d" byteOrder="network" pairOrder="m/z-int"%s>%s</peaks>\n'
            % (num, level, len(mz), repr(seconds).encode(), precision, compression,
               base64.b64encode(raw))
        )  # fmt: skip
        if nested and level == 1:
            open_ms1 = True
        else:
            parts.append(b"</scan>\n")
    if nested and open_ms1:
        parts.append(b"</scan>\n")
    parts.append(b"</msRun>\n</mzXML>\n")
    return b"".join(parts)


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("zlib_on,precision", [(False, 32), (True, 64)])
def test_mzxml_fast_reader_equals_pyteomics(tmp_path, nested, zlib_on, precision):
    rng = np.random.default_rng(1)
    scans = []
    for num in range(1, 10):
        level = 1 if num % 3 == 1 else 2
        mz = np.sort(rng.uniform(100, 900, 5 + num))
        scans.append((num, level, 30.0 + 1.5 * num, mz, rng.uniform(0, 1e4, len(mz))))
    path = tmp_path / "tiny.mzXML"
    path.write_bytes(_mzxml(scans, nested=nested, zlib_on=zlib_on, precision=precision))
    fast = read_ms_run(path, reader="fast")
    slow = read_ms_run(path, reader="pyteomics")
    assert_same_run(fast, slow)
    assert fast.ids == [str(s[0]) for s in scans]
    np.testing.assert_array_equal(fast.rt, [s[2] / 60.0 for s in scans])
    assert fast.mz.dtype == np.dtype("f4" if precision == 32 else "f8")
    np.testing.assert_array_equal(fast.spectrum(4)[0], scans[4][3].astype(fast.mz.dtype))
    assert sniff_format(path) == "mzXML"


# ---------------------------------------------------------------------------- real files
@pytest.mark.data
def test_every_shared_file_is_covered(shared_data):
    present = {p.name for p in (shared_data / "lcms" / "mzml").iterdir() if p.is_file()}
    assert present == set(SHARED_FILES), "update SHARED_FILES to cover every shared file"


@pytest.mark.data
@pytest.mark.parametrize("name", READABLE_PARAMS)
def test_shared_file_fast_equals_pyteomics(shared_data, name):
    path = shared_data / "lcms" / "mzml" / name
    fast = read_ms_run(path)
    assert fast.reader == "fast", "the fast reader should handle every shared file"
    slow = read_ms_run(path, reader="pyteomics")
    assert_same_run(fast, slow)
    assert fast.level_counts == SHARED_FILES[name]
    assert len(fast) == sum(SHARED_FILES[name].values())
    assert fast.n_peaks > 0 and np.all(np.diff(fast.offsets) >= 0)
    assert np.isfinite(fast.rt).all() and (fast.rt >= 0).all()
    # ms-level filter on the real file
    ms1 = read_ms_run(path, ms_level=1)
    assert len(ms1) == SHARED_FILES[name][1]


@pytest.mark.data
def test_shared_file_time_units(shared_data):
    """OpenMS files store seconds, ProteoWizard files minutes: both come back in minutes."""
    folder = shared_data / "lcms" / "mzml"
    seconds_file = read_ms_run(folder / "FeatureFinderMetaboIdent_1_input.mzML")
    assert seconds_file.rt[0] == pytest.approx(200.23254 / 60.0, abs=0)
    minutes_file = read_ms_run(folder / "example.mzML")
    assert minutes_file.rt[0] == 0.0014658998


@pytest.mark.data
@pytest.mark.parametrize("reader", ["auto", "fast", "pyteomics"])
def test_chromatogram_only_file_is_a_clear_error(shared_data, reader):
    path = shared_data / "lcms" / "mzml" / "mini.chrom.mzML"
    with pytest.raises(DataError, match=r"mini\.chrom\.mzML: no spectra; chromatogram-only"):
        read_ms_run(path, reader=reader)


def test_generated_chromatogram_only_file(tmp_path):
    write_synthetic_mzml(tmp_path / "chrom.mzML", n_scans=0)
    with pytest.raises(DataError, match=r"chrom\.mzML: no spectra; chromatogram-only"):
        read_ms_run(tmp_path / "chrom.mzML")


# ---------------------------------------------------------------------------- bad inputs
READERS = ["auto", "fast", "pyteomics"]


@pytest.mark.parametrize("reader", READERS)
def test_missing_file(tmp_path, reader):
    with pytest.raises(DataNotFoundError, match=r"nothere\.mzML"):
        read_ms_run(tmp_path / "nothere.mzML", reader=reader)


@pytest.mark.parametrize("reader", READERS)
def test_empty_file(tmp_path, reader):
    path = tmp_path / "empty.mzML"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.mzML: empty file \(0 bytes\)"):
        read_ms_run(path, reader=reader)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "content,message",
    [
        (b"hello, this is not XML\n", "not XML"),
        (bytes(range(256)) * 4, "not XML"),
        (b'<?xml version="1.0"?>\n<html><body>mzML</body></html>', "root element is <html>"),
        (b"   \n\t  ", "before the root element"),
        (gzip.compress(b"plain text, gzipped"), "not XML"),
        (b"\x1f\x8b\x08\x00garbage after a gzip magic", "gzip"),
    ],
)
def test_not_an_mzml_file(tmp_path, reader, content, message):
    path = tmp_path / "junk.mzML"
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"junk\.mzML: .*{message}"):
        read_ms_run(path, reader=reader)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_file(plain, tmp_path, reader, fraction):
    data = plain.path.read_bytes()
    path = tmp_path / "cut.mzML"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(DataError, match=r"cut\.mzML: .*(truncated|cannot read)"):
        read_ms_run(path, reader=reader)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_between_spectra_or_before_the_root_end(plain, tmp_path, reader):
    data = plain.path.read_bytes()
    after_spectrum = data.index(b"</spectrum>") + len(b"</spectrum>")
    for i, cut in enumerate([after_spectrum, data.rindex(b"</indexedmzML>")]):
        path = tmp_path / f"cut{i}.mzML"
        path.write_bytes(data[:cut])
        with pytest.raises(DataError, match=rf"cut{i}\.mzML: .*(truncated|cannot read)"):
            read_ms_run(path, reader=reader)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_gzip(synthetic, tmp_path, reader):
    data = synthetic["profile-none-32-sec-gz"].path.read_bytes()
    path = tmp_path / "cut.mzML.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.mzML\.gz: .*truncated"):
        read_ms_run(path, reader=reader)


@pytest.mark.parametrize("reader", READERS)
def test_gzip_of_truncated_xml(plain, tmp_path, reader):
    data = plain.path.read_bytes()
    path = tmp_path / "cutxml.mzML.gz"
    path.write_bytes(gzip.compress(data[: len(data) // 2]))
    with pytest.raises(DataError, match=r"cutxml\.mzML\.gz: .*(truncated|cannot read)"):
        read_ms_run(path, reader=reader)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE mzML [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE mzML [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
"""


def _with_doctype(plain, doctype: bytes, entity: bytes) -> bytes:
    """The synthetic file with a DOCTYPE and an entity reference in a spectrum ID."""
    body = plain.path.read_bytes()
    body = body[body.index(b"<indexedmzML") :]
    body = body.replace(b'id="scan=1"', b'id="' + entity + b'"', 1)
    return doctype + body


@pytest.mark.timeout(30)
@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "doctype,entity", [(BILLION_LAUGHS, b"&lol9;"), (EXTERNAL_ENTITY, b"&secret;")]
)
def test_entities_are_refused(plain, tmp_path, reader, doctype, entity):
    path = tmp_path / "evil.mzML"
    path.write_bytes(_with_doctype(plain, doctype, entity))
    with pytest.raises(DataError, match=r"evil\.mzML: refusing to parse: .*DOCTYPE") as info:
        read_ms_run(path, reader=reader)
    assert "root:" not in str(info.value)
    gz = tmp_path / "evil.mzML.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(DataError, match="DOCTYPE"):
        read_ms_run(gz, reader=reader)


def test_doctype_after_comments_is_refused(tmp_path):
    path = tmp_path / "sneaky.mzML"
    path.write_bytes(b'<?xml version="1.0"?>\n<!-- hi -->\n<?pi x?>\n' + EXTERNAL_ENTITY[22:])
    with pytest.raises(DataError, match="DOCTYPE"):
        sniff_format(path)


def test_unknown_reader(plain):
    with pytest.raises(DataError, match="reader must be one of"):
        read_ms_run(plain.path, reader="lxml")


def test_odd_values_fall_back_to_pyteomics_and_fail_clearly(plain, tmp_path):
    text = plain.path.read_bytes().replace(
        b'name="ms level" value="1"', b'name="ms level" value="one"', 1
    )
    path = tmp_path / "odd.mzML"
    path.write_bytes(text)
    with pytest.raises(DataError, match=r"odd\.mzML: the fast reader cannot read .*unparsable"):
        read_ms_run(path, reader="fast")
    with pytest.raises(DataError, match=r"odd\.mzML"):
        read_ms_run(path)


def test_trailing_whitespace_and_garbage(plain, tmp_path, monkeypatch):
    monkeypatch.setattr(mzml, "CHUNK_SIZE", 1000)
    data = plain.path.read_bytes()
    padded = tmp_path / "padded.mzML"
    padded.write_bytes(data + b"\n" * 5000)
    assert_matches_truth(read_ms_run(padded, reader="fast"), plain)
    junk = tmp_path / "junk_after.mzML"
    junk.write_bytes(data + b"<extra/>")
    for reader in READERS:
        with pytest.raises(DataError, match=r"junk_after\.mzML"):
            read_ms_run(junk, reader=reader)
