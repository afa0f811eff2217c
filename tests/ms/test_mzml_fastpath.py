"""The fast reader's speed-ups change nothing it returns or refuses.

* the fast loop (the careful tag-by-tag walk's usual branches written out in one loop)
  reads every spectrum exactly as the careful walk does, on real, generated and
  deliberately odd files, and it does read (nearly) all spectra of the real files;
* pybase64 (when installed) decodes exactly what binascii decodes;
* zlib streams never inflate beyond their declared length (decompression bombs are refused
  with bounded memory, without falling back to another reader);
* huge spectra cut by many chunk ends are rescanned a logarithmic number of times;
* the helper thread that reads, hashes and gunzips passes its errors on and stops.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import random
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from omicsnet.errors import DataError
from omicsnet.ms import mzml
from omicsnet.ms.mzml import read_ms_run
from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_cohort, write_synthetic_mzml

PEAKS = [PlantedPeak(150.25, 0.8, 2e5, 0.1), PlantedPeak(612.4, 1.1, 5e4, 0.15)]


def assert_same_run(a, b) -> None:
    assert a.ids == b.ids and a.format == b.format
    np.testing.assert_array_equal(a.ms_level, b.ms_level)
    np.testing.assert_array_equal(a.rt, b.rt)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert a.mz.dtype == b.mz.dtype and a.intensity.dtype == b.intensity.dtype
    np.testing.assert_array_equal(a.mz, b.mz)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert a.level_counts == b.level_counts and a.sha256 == b.sha256


def read_both(path: Path, monkeypatch, **kwargs):
    """(fast path, careful walk only, number of spectra the careful walk read in the first)."""
    careful_calls = []
    original = mzml._MzMLScanner._parse_careful

    def counting(self, buf, start):
        careful_calls.append(start)
        return original(self, buf, start)

    with monkeypatch.context() as patch:
        patch.setattr(mzml._MzMLScanner, "_parse_careful", counting)
        fast = read_ms_run(path, reader="fast", **kwargs)
    n_careful_in_fast = len(careful_calls)
    with monkeypatch.context() as patch:
        patch.setattr(mzml._MzMLScanner, "_run_fast", lambda self, buf, pos: pos)
        careful = read_ms_run(path, reader="fast", **kwargs)
    return fast, careful, n_careful_in_fast


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fastpath")
    variants = {
        "zlib-ms2": dict(ms2_per_ms1=2, noise_peaks=10),
        "none-32-sec": dict(profile=True, compression="none", mz_precision=32, rt_unit="second"),
        "zlib-64x64": dict(intensity_precision=64, noise_peaks=30, rt_unit="second"),
    }
    return {
        name: write_synthetic_mzml(folder / f"{name}.mzML", peaks=PEAKS, n_scans=8, **options)
        for name, options in variants.items()
    }


# ---------------------------------------------------------------------------- fast == careful
@pytest.mark.data
def test_fast_path_reads_every_real_mzml_spectrum_as_the_careful_walk(shared_data, monkeypatch):
    for path in sorted((shared_data / "lcms" / "mzml").iterdir()):
        if "chrom" in path.name or path.name.endswith(".mzXML"):
            continue
        fast, careful, n_careful = read_both(path, monkeypatch)
        assert_same_run(fast, careful)
        # the careful walk reads a spectrum whose kind of array is new (at most 4 per file)
        assert n_careful <= 4, f"{path.name}: the fast path should read all other spectra"


def test_fast_path_equals_careful_walk_on_generated_files(synthetic, monkeypatch, tmp_path):
    cohort = write_synthetic_cohort(tmp_path / "cohort", n_per_class=1, classes=("a", "b"))
    paths = [t.path for t in synthetic.values()] + list(cohort.files)
    for path in paths:
        for level in (None, 1):
            fast, careful, n_careful = read_both(path, monkeypatch, ms_level=level)
            assert_same_run(fast, careful)
            assert n_careful <= 4, (path.name, n_careful)


def _nth(data: bytes, old: bytes, new: bytes, n: int) -> bytes:
    """``data`` with the ``n``-th (1-based) occurrence of ``old`` replaced."""
    at = -1
    for _ in range(n):
        at = data.index(old, at + 1)
    return data[:at] + new + data[at + len(old) :]


def _mutations(data: bytes) -> dict[str, bytes]:
    """Odd but valid (or oddly broken) spellings of the synthetic file."""
    first = data.index(b"<spectrum ")
    first_end = data.index(b"</spectrum>") + len(b"</spectrum>")
    one = data[first:first_end]
    return {
        "tabs-and-crlf": data.replace(b"\n", b"\r\n").replace(b"  ", b"\t"),
        "no-whitespace": b">".join(part.rstrip() for part in data.split(b">")),
        "attribute-order": data.replace(
            b'defaultArrayLength="', b'xmlns:q="x" defaultArrayLength="'
        ),
        "single-quoted-id": data.replace(b'id="scan=2"', b"id='scan=2'", 1),
        "gt-in-attribute": data.replace(b'id="scan=3"', b'id="scan=3>odd"', 1),
        "entity-in-id": data.replace(b'id="scan=4"', b'id="scan=4&amp;x"', 1),
        "array-length": data.replace(b"<binaryDataArray ", b'<binaryDataArray arrayLength="0" ', 1),
        "accession-in-array-tag": data.replace(
            b"<binaryDataArray ", b'<binaryDataArray accession="MS:1000523" ', 1
        ),
        "three-arrays": data.replace(
            b"</binaryDataArrayList>",
            b'<binaryDataArray encodedLength="0"><cvParam cvRef="MS" accession="MS:1000786"'
            b' name="non-standard data array" value="x"/><cvParam cvRef="MS"'
            b' accession="MS:1000523" name="64-bit float"/><cvParam cvRef="MS"'
            b' accession="MS:1000576" name="no compression"/><binary></binary>'
            b"</binaryDataArray></binaryDataArrayList>",
            1,
        ),
        "empty-binary-element": data.replace(b"<binary></binary>", b"<binary/>"),
        "text-between-arrays": data.replace(b"</binaryDataArray>\n", b"</binaryDataArray>x\n", 1),
        "user-param-mentions-group-ref": data.replace(
            b"<scanList", b'<userParam name="n" value="referenceableParamGroupRef"/><scanList', 1
        ),
        "unknown-time-unit": data.replace(
            b'unitAccession="UO:0000031"', b'unitAccession="UO:9"', 1
        ),
        "level-in-user-param-first": data.replace(
            b'<cvParam cvRef="PSI-MS" accession="MS:1000511"',
            b'<userParam accession="MS:1000511" value="7"/><cvParam cvRef="PSI-MS"'
            b' accession="MS:1000511"',
            1,
        ),
        "array-length-then-accession": data.replace(
            b"<binaryDataArray ",
            b'<binaryDataArray arrayLength="20" accession="MS:1000521" ',
            1,
        ),
        "third-spectrum-other-whitespace": _nth(data, b"\n          <cvParam", b"\t<cvParam", 9),
        "third-spectrum-extra-cvparam": _nth(
            data, b"<scanList", b'<cvParam cvRef="MS" accession="MS:1000130" name="p"/><scanList', 3
        ),
        "fifth-spectrum-seconds": _nth(
            data, b'unitAccession="UO:0000031"', b'unitAccession="UO:0000010"', 5
        ),
        "fifth-spectrum-64-bit-intensities": _nth(
            data, b'accession="MS:1000521" name="32-bit float"', b'accession="MS:1000523"', 5
        ),
        "duplicated-spectrum": data[:first_end] + b"\n" + one + data[first_end:],
        "comment-after-spectrum": data.replace(b"</spectrum>", b"</spectrum><!-- c -->", 2),
    }


def test_fast_path_equals_careful_walk_on_odd_files(synthetic, monkeypatch, tmp_path):
    data = synthetic["zlib-ms2"].path.read_bytes()
    for name, mutated in _mutations(data).items():
        path = tmp_path / f"{name}.mzML"
        path.write_bytes(mutated)
        outcomes = []
        for force_careful in (False, True):
            with monkeypatch.context() as patch:
                if force_careful:
                    patch.setattr(mzml._MzMLScanner, "_run_fast", lambda self, buf, pos: pos)
                try:
                    outcomes.append(read_ms_run(path, reader="fast"))
                except DataError as err:
                    outcomes.append(str(err))
        fast, careful = outcomes
        if isinstance(fast, str) or isinstance(careful, str):
            assert fast == careful, name  # the same refusal, word for word
        else:
            assert_same_run(fast, careful)


# ---------------------------------------------------------------------------- base64
def test_b64_decoder_agrees_with_binascii_on_random_and_damaged_text():
    rng = random.Random(7)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    damage = b"=\n\r\t -_!*\x00\xff."
    for _ in range(3000):
        text = bytearray(base64.b64encode(rng.randbytes(rng.randrange(0, 40))))
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            where = rng.randrange(len(text) + 1)
            choice = rng.random()
            if choice < 0.4:
                text.insert(where, rng.choice(damage))
            elif choice < 0.7 and text:
                del text[min(where, len(text) - 1)]
            elif text:
                text[min(where, len(text) - 1)] = rng.choice(alphabet + damage)
        raw = b"<binary>" + bytes(text) + b"</binary>"
        try:
            expected: bytes | type = binascii.a2b_base64(bytes(text))
        except binascii.Error:
            expected = binascii.Error
        try:
            got: bytes | type = mzml._b64decode(raw, 8, 8 + len(text))
        except binascii.Error:
            got = binascii.Error
        assert got == expected, bytes(text)


# ---------------------------------------------------------------------------- zlib bombs
def _zeros_stream(n_bytes: int) -> bytes:
    """zlib stream of ``n_bytes`` zero bytes, made without holding them in memory."""
    packer = zlib.compressobj(9)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(n_bytes >> 20)]
    parts.append(packer.compress(bytes(n_bytes & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return b"".join(parts)


def _bomb(template: bytes, stream: bytes) -> bytes:
    """The template with its first m/z array replaced by ``stream`` (declared 20 values)."""
    at = template.index(b"<binary>") + 8
    end = template.index(b"</binary>", at)
    return template[:at] + base64.b64encode(stream) + template[end:]


@pytest.mark.parametrize("inflated_mb", [2, 256])
def test_zlib_bomb_is_refused_with_bounded_memory(tmp_path, inflated_mb):
    template = write_synthetic_mzml(tmp_path / "t.mzML", peaks=PEAKS, n_scans=3).path.read_bytes()
    declared = int(template.split(b'defaultArrayLength="', 1)[1].split(b'"', 1)[0])
    stream = _zeros_stream(inflated_mb << 20)  # 2 MB: one-call path; 256 MB: capped path
    path = tmp_path / "bomb.mzML"
    path.write_bytes(_bomb(template, stream))
    for reader in ("fast", "auto"):  # "auto" must not hand the bomb to pyteomics
        tracemalloc.start()
        try:
            with pytest.raises(
                DataError,
                match=rf"bomb\.mzML: spectrum 'scan=1': the mz array inflates to more than "
                rf"{4 * declared * 8 + mzml.INFLATE_SLACK} bytes \({declared * 8} bytes declared"
                r".*decompression bomb",
            ):
                read_ms_run(path, reader=reader)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 40 << 20, f"{peak / 1e6:.0f} MB allocated while refusing the bomb"


def test_mzxml_zlib_bomb_is_refused(tmp_path):
    stream = _zeros_stream(64 << 20)
    path = tmp_path / "bomb.mzXML"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<mzXML xmlns="http://x"><msRun>\n'
        b'<scan num="1" msLevel="1" peaksCount="2" retentionTime="PT1S">'
        b'<peaks precision="32" byteOrder="network" pairOrder="m/z-int" compressionType="zlib">'
        + base64.b64encode(stream)
        + b"</peaks></scan>\n</msRun></mzXML>\n"
    )
    with pytest.raises(DataError, match=r"bomb\.mzXML: spectrum '1': the peaks array inflates"):
        read_ms_run(path)


def test_inflate_without_a_declared_length_is_capped(monkeypatch, tmp_path):
    monkeypatch.setattr(mzml, "MAX_ARRAY_BYTES", 1 << 20)
    stream = _zeros_stream(4 << 20)
    with pytest.raises(DataError, match=r"x\.mzML: spectrum 's': the mz array .*none declared"):
        mzml._inflate(stream, -1, tmp_path / "x.mzML", "s", "mz")
    # a length mismatch within the slack is not a bomb: left to the caller (and pyteomics)
    assert (
        len(mzml._inflate(zlib.compress(bytes(5000)), 80, tmp_path / "x.mzML", "s", "mz")) == 5000
    )
    small = zlib.compress(bytes(1000))
    assert mzml._inflate(small, 1000, tmp_path / "x.mzML", "s", "mz") == bytes(1000)
    big = zlib.compress(np.random.default_rng(0).bytes(100_000))  # > _SMALL_DEFLATE: capped path
    assert len(big) > mzml._SMALL_DEFLATE
    assert len(mzml._inflate(big, 100_000, tmp_path / "x.mzML", "s", "mz")) == 100_000


# ---------------------------------------------------------------------------- streaming
def test_huge_spectrum_is_rescanned_a_logarithmic_number_of_times(tmp_path, monkeypatch):
    peaks = [PlantedPeak(100 + i * 0.5, 0.5, 1e5, 0.1) for i in range(40)]
    truth = write_synthetic_mzml(
        tmp_path / "big.mzML", peaks=peaks, n_scans=1, noise_peaks=20000, compression="none"
    )
    size = truth.path.stat().st_size
    monkeypatch.setattr(mzml, "CHUNK_SIZE", 4096)  # ~80 chunks for the one spectrum
    attempts = []
    original = mzml._MzMLScanner.parse_at

    def counting(self, buf, start):
        attempts.append(len(buf))
        return original(self, buf, start)

    monkeypatch.setattr(mzml._MzMLScanner, "parse_at", counting)
    run = read_ms_run(truth.path, reader="fast")
    np.testing.assert_array_equal(run.spectrum(0)[0], truth.mz[0])
    assert size > 50 * 4096 and len(attempts) <= 12, (size, len(attempts))  # not ~80


def test_helper_thread_passes_errors_on_and_stops(tmp_path, monkeypatch, synthetic):
    monkeypatch.setattr(mzml, "PREFETCH_MIN_BYTES", 0)
    monkeypatch.setattr(mzml, "CHUNK_SIZE", 1024)
    truth = synthetic["zlib-ms2"]
    data = truth.path.read_bytes()
    assert_same_run(read_ms_run(truth.path), read_ms_run(truth.path, reader="pyteomics"))
    cut = tmp_path / "cut.mzML.gz"
    cut.write_bytes(gzip.compress(data)[:-200])
    with pytest.raises(DataError, match=r"cut\.mzML\.gz: truncated gzip"):
        read_ms_run(cut, reader="fast")
    evil = tmp_path / "evil.mzML"  # refused in the first chunk: the helper must stop
    evil.write_bytes(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + data * 50)
    with pytest.raises(DataError, match="DOCTYPE"):
        read_ms_run(evil, reader="fast")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        t.name == "omicsnet-mzml-read" for t in threading.enumerate()
    ):
        time.sleep(0.01)
    assert not [t for t in threading.enumerate() if t.name == "omicsnet-mzml-read"]


def test_results_do_not_depend_on_the_optional_decoders(tmp_path, monkeypatch):
    """pybase64 and isal (lcms extra) only make it faster: binascii/zlib give the same."""
    truth = write_synthetic_mzml(
        tmp_path / "big.mzML.gz",
        peaks=PEAKS,
        n_scans=4,
        noise_peaks=3000,
        profile=True,
        ms2_per_ms1=1,
    )
    xml = gzip.decompress(truth.path.read_bytes())
    compressed = [len(t.split(b"<")[0]) * 3 // 4 for t in xml.split(b"<binary>")[1:]]
    with_extras = read_ms_run(truth.path, reader="fast")
    with monkeypatch.context() as patch:
        patch.setattr(mzml, "_fast_b64decode", None)
        patch.setattr(mzml, "_big_inflate", zlib)
        patch.setattr(mzml, "_BigInflateError", zlib.error)
        plain = read_ms_run(truth.path, reader="fast")
    assert_same_run(with_extras, plain)
    assert max(compressed) > mzml._SMALL_DEFLATE  # the capped inflate path was used
    np.testing.assert_array_equal(with_extras.spectrum(0)[0], truth.mz[0])


def test_attribute_finder_equals_the_pattern_it_replaces():
    """``_attribute`` (find-based) returns what ``re.search(rb'\\s' + name + rb'="([^"]*)"')``
    returns, on random tags with odd spacing, quotes, look-alike names and bounds."""
    import re

    rng = random.Random(3)
    pieces = [b" ", b"\t", b"\n", b"\x0b", b"x", b'"', b"=", b"value", b"value=", b'value="',
              b"unitAccession", b'id="', b"ab", b">", b"<"]  # fmt: skip
    for needle in (b'value="', b'id="', b'unitAccession="'):
        pattern = re.compile(rb"\s" + re.escape(needle) + rb'([^"]*)"')
        for _ in range(3000):
            buf = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 14)))
            lo = rng.randrange(0, len(buf) + 1)
            hi = rng.choice([rng.randrange(lo, len(buf) + 1), -1])
            match = pattern.search(buf, lo, hi)  # endpos -1: no match, as _attribute
            expected = match.group(1) if match else None
            assert mzml._attribute(buf, needle, lo, hi) == expected, (buf, lo, hi)


@pytest.mark.parametrize(
    "compression,damage",
    [
        ("zlib", "bad-base64"),
        ("none", "bad-base64"),
        ("zlib", "bad-zlib"),
        ("zlib", "short-text"),
        ("none", "short-text"),
    ],
)
def test_corrupt_binary_data_is_a_clear_error(tmp_path, compression, damage):
    truth = write_synthetic_mzml(
        tmp_path / "ok.mzML", peaks=PEAKS, n_scans=4, compression=compression
    )
    data = truth.path.read_bytes()
    at = data.index(b"<binary>", data.index(b'id="scan=3"')) + 8
    end = data.index(b"</binary>", at)
    if damage == "bad-base64":
        broken = data[:at] + b"*" + data[at + 1 :]
    elif damage == "bad-zlib":
        broken = data[:at] + base64.b64encode(b"x\x9c" + b"\xff" * 30) + data[end:]
    else:
        broken = data[:at] + data[at + 8 : end] + data[end:]
    path = tmp_path / f"{damage}.mzML"
    path.write_bytes(broken)
    for reader in ("fast", "auto", "pyteomics"):
        with pytest.raises(DataError, match=rf"{damage}\.mzML: "):
            read_ms_run(path, reader=reader)
