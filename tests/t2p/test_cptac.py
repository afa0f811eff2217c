"""CPTAC readers: UCEC release files (folder, wheel, data directory) and the cached package."""

from __future__ import annotations

import gzip
import sys
import types
import zipfile

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.t2p.cptac import (
    WHEEL_DATA_DIR,
    cache_dir,
    find_ucec_release,
    load_cptac_package,
    read_ucec_release,
)
from omicsnet.t2p.data import load_t2p

SAMPLES = ["S001", "S002", "S003", "S004", "S005"]


def release_tables(seed: int = 0) -> dict[str, bytes]:
    """Small tables in the release's layout: genes in rows, samples in columns, tabs."""
    rng = np.random.default_rng(seed)
    rna = pd.DataFrame(
        rng.normal(6, 2, size=(4, 4)).round(3),
        index=["A1BG", "TP53", "MYC", "EGFR"],
        columns=SAMPLES[:4],
    )
    protein = pd.DataFrame(
        rng.normal(0, 1, size=(3, 5)).round(3), index=["A1BG", "TP53", "MYC"], columns=SAMPLES
    )
    protein.iloc[0, 1] = np.nan
    clinical = pd.DataFrame(
        {
            "Proteomics_Participant_ID": [f"C3L-{i}" for i in range(5)],
            "Proteomics_Tumor_Normal": ["Tumor", "Tumor", "Adjacent_normal", "Tumor", "Tumor"],
            "Country": ["Poland", "Côte d'Ivoire", "Poland", "Canada", "Canada"],
        },
        index=pd.Index(SAMPLES, name="idx"),
    )
    rna.index.name = protein.index.name = "idx"
    return {
        "transcriptomics_linear.cct.gz": gzip.compress(rna.to_csv(sep="\t").encode(), mtime=0),
        "proteomics.cct.gz": gzip.compress(protein.to_csv(sep="\t").encode(), mtime=0),
        "clinical.txt.gz": gzip.compress(clinical.to_csv(sep="\t").encode("latin-1"), mtime=0),
    }


@pytest.fixture
def release_dir(tmp_path):
    folder = tmp_path / "transcript_protein" / "cptac_ucec"
    folder.mkdir(parents=True)
    for name, content in release_tables().items():
        (folder / name).write_bytes(content)
    return folder


def test_release_folder_is_read_with_samples_in_rows(release_dir):
    cohort = read_ucec_release(release_dir)
    assert cohort.rna.shape == (4, 4) and cohort.protein.shape == (5, 3)
    assert cohort.rna.index.tolist() == SAMPLES[:4]
    assert cohort.protein.columns.tolist() == ["A1BG", "TP53", "MYC"]
    assert np.isnan(cohort.protein.loc["S002", "A1BG"])
    assert cohort.tumour.to_dict() == {
        "S001": True,
        "S002": True,
        "S003": False,
        "S004": True,
        "S005": True,
    }
    assert cohort.clinical.loc["S002", "Country"] == "Côte d'Ivoire"  # latin-1 decoded


def test_release_found_through_the_data_directory(release_dir, monkeypatch):
    data_dir = release_dir.parents[1]
    assert find_ucec_release(data_dir=data_dir) == release_dir
    monkeypatch.setenv("OMICSNET_DATA", str(data_dir))
    assert read_ucec_release().rna.shape == (4, 4)


def test_release_read_from_a_wheel_file_and_an_unpacked_wheel(release_dir, tmp_path):
    wheel = tmp_path / "cptac-0.4.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, content in release_tables().items():
            if name == "clinical.txt.gz":  # the wheel may hold it uncompressed
                archive.writestr(f"{WHEEL_DATA_DIR}/clinical.txt", gzip.decompress(content))
            else:
                archive.writestr(f"{WHEEL_DATA_DIR}/{name}", content)
    from_wheel = read_ucec_release(wheel)
    from_folder = read_ucec_release(release_dir)
    pd.testing.assert_frame_equal(from_wheel.rna, from_folder.rna)
    pd.testing.assert_frame_equal(from_wheel.protein, from_folder.protein)
    assert from_wheel.clinical.loc["S002", "Country"] == "Côte d'Ivoire"
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    assert find_ucec_release(unpacked) == unpacked / WHEEL_DATA_DIR
    pd.testing.assert_frame_equal(read_ucec_release(unpacked).rna, from_folder.rna)


def test_missing_and_bad_release_files_are_clear_errors(tmp_path, release_dir, monkeypatch):
    monkeypatch.delenv("OMICSNET_DATA", raising=False)
    with pytest.raises(
        DataNotFoundError, match=r"no data directory set.*pip download --no-deps cptac==0\.4\.1"
    ):
        read_ucec_release()
    with pytest.raises(DataNotFoundError, match="release files not found in"):
        read_ucec_release(tmp_path / "empty")
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable wheel"):
        read_ucec_release(bad)
    text = gzip.decompress((release_dir / "proteomics.cct.gz").read_bytes()).decode()
    lines = text.split("\n")
    lines[2] = lines[2].replace("\t", "\tx", 1)  # first value of TP53 (sample S001)
    (release_dir / "proteomics.cct.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    with pytest.raises(DataError, match="non-numeric value for gene 'TP53', sample 'S001'") as err:
        read_ucec_release(release_dir)
    assert "'x" not in str(err.value)  # the cell's content is not echoed


def test_load_t2p_from_release_files(release_dir):
    data = load_t2p("ucec", release=release_dir, max_missing=0.4)
    # S003 is normal, S005 has no RNA: S001, S002, S004 remain
    assert data.rna.index.tolist() == ["S001", "S002", "S004"]
    assert data.report["ucec"]["normal_samples_dropped"] == ["S003"]
    assert data.report["ucec"]["protein_only_samples"] == ["S005"]
    assert data.own_mrna.to_dict() == {"A1BG": "A1BG", "TP53": "TP53", "MYC": "MYC"}
    with_normals = load_t2p("ucec", release=release_dir, tumour_only=False, max_missing=0.4)
    assert len(with_normals.rna) == 4
    with pytest.raises(ConfigError, match="only UCEC ships as offline release files"):
        load_t2p(["ucec", "brca"], release=release_dir, source="files")


def fake_cptac(calls: list[str]) -> types.ModuleType:
    """A stand-in for the cptac ≥ 1.0 API: (Name, Database_ID) columns, '.N' normal samples."""
    module = types.ModuleType("cptac")

    class Brca:
        def __init__(self):
            calls.append("Brca()")

        def get_transcriptomics(self, source=None):
            calls.append(f"rna:{source}")
            columns = pd.MultiIndex.from_tuples(
                [("TP53", "ENSG1"), ("MYC", "ENSG2")], names=["Name", "Database_ID"]
            )
            return pd.DataFrame(
                [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], index=["P1", "P2", "P1.N"], columns=columns
            )

        def get_proteomics(self, source):  # cptac >= 1.0 requires a source
            calls.append(f"protein:{source}")
            columns = pd.MultiIndex.from_tuples([("TP53", "NP_1")], names=["Name", "Database_ID"])
            return pd.DataFrame(
                [[0.5], [np.nan], [0.1]], index=["P1", "P2", "P1.N"], columns=columns
            )

    module.Brca = Brca
    return module


def test_package_path_caches_tables_and_works_offline_afterwards(tmp_path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "cptac", fake_cptac(calls))
    first = load_cptac_package("brca", cache=tmp_path, rna_source="bcm", protein_source="umich")
    assert calls == ["Brca()", "rna:bcm", "protein:umich"]
    assert first.rna.columns.tolist() == ["TP53", "MYC"]
    assert first.tumour.to_dict() == {"P1": True, "P1.N": False, "P2": True}
    written = sorted(p.name for p in (tmp_path / "cptac" / "brca").iterdir())
    assert written in (
        ["proteomics_umich.csv.gz", "transcriptomics_bcm.csv.gz"],
        ["proteomics_umich.parquet", "transcriptomics_bcm.parquet"],
    )
    monkeypatch.setitem(sys.modules, "cptac", None)  # package gone: the cache answers
    second = load_cptac_package("brca", cache=tmp_path, rna_source="bcm", protein_source="umich")
    pd.testing.assert_frame_equal(first.rna, second.rna, check_names=False)
    pd.testing.assert_frame_equal(first.protein, second.protein, check_names=False)
    assert calls == ["Brca()", "rna:bcm", "protein:umich"]
    monkeypatch.setitem(sys.modules, "cptac", fake_cptac(calls))
    data = load_t2p("brca", source="package", cache=tmp_path, max_missing=0.5)
    # no sources given: a new cache entry; proteomics falls back to cptac's "umich" source
    assert calls[3:] == ["Brca()", "rna:None", "protein:umich"]
    assert data.rna.index.tolist() == ["P1", "P2"]  # the normal sample P1.N is dropped
    assert data.own_mrna.to_dict() == {"TP53": "TP53"}


def test_package_errors_explain_the_offline_fallback(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cptac", None)
    with pytest.raises(DataNotFoundError, match=r"cptac package is not installed.*source='files'"):
        load_cptac_package("luad", cache=tmp_path)
    offline = types.ModuleType("cptac")

    class Luad:
        def __init__(self):
            raise ConnectionError("no route to host")

    offline.Luad = Luad
    monkeypatch.setitem(sys.modules, "cptac", offline)
    with pytest.raises(
        DataNotFoundError, match=r"cptac\.Luad\(\) failed \(ConnectionError: no route to host\)"
    ):
        load_cptac_package("luad", cache=tmp_path)
    with pytest.raises(DataNotFoundError, match="unknown CPTAC cohort 'xyz'"):
        load_cptac_package("xyz", cache=tmp_path)


def test_cache_dir_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("OMICSNET_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    assert cache_dir(tmp_path / "d") == tmp_path / "d"
    monkeypatch.delenv("OMICSNET_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "omicsnet"


@pytest.mark.slow
def test_real_ucec_release(shared_data):
    cohort = read_ucec_release(data_dir=shared_data)
    assert cohort.rna.shape == (115, 28057)
    assert cohort.protein.shape == (153, 10999)
    assert int(cohort.tumour.sum()) == 104
    assert len(cohort.rna.columns.intersection(cohort.protein.columns)) == 10986
