"""AnnData/MuData in and out: the tables the CSV reader gives, the same errors, new files only."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

anndata = pytest.importorskip("anndata")
mudata = pytest.importorskip("mudata")

from omicsnet.data.anndata_io import (  # noqa: E402
    read_modalities,
    write_results,
)
from omicsnet.data.tables import read_table  # noqa: E402
from omicsnet.errors import (  # noqa: E402
    ConfigError,
    DataError,
    DataNotFoundError,
    OutputExistsError,
)
from omicsnet.utils.paths import resolve_data_file  # noqa: E402


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cells(tmp_path):
    rng = np.random.default_rng(0)
    obs = pd.DataFrame(
        {
            "subtype": pd.Categorical(["LumA", "Basal", "LumA", "Her2"]),
            "age": [51.0, 63.0, np.nan, 40.0],
        },
        index=["s1", "s2", "s3", "s4"],
    )
    adata = anndata.AnnData(
        rng.normal(size=(4, 3)), obs=obs, var=pd.DataFrame(index=["TP53", "MYC", "EGFR"])
    )
    adata.layers["counts"] = np.arange(12.0).reshape(4, 3)
    adata.obsm["X_pca"] = rng.normal(size=(4, 2))
    path = tmp_path / "cells.h5ad"
    adata.write_h5ad(path)
    return path, adata


@pytest.fixture
def study(tmp_path):
    rng = np.random.default_rng(1)
    rna = anndata.AnnData(
        rng.normal(size=(4, 3)),
        obs=pd.DataFrame(index=["a", "b", "c", "d"]),
        var=pd.DataFrame(index=["g1", "g2", "g3"]),
    )
    prot = anndata.AnnData(
        rng.normal(size=(3, 2)),
        obs=pd.DataFrame(index=["a", "c", "d"]),
        var=pd.DataFrame(index=["p1", "p2"]),
    )
    md = mudata.MuData({"rna": rna, "prot": prot})
    md.obs["subtype"] = ["x", "y", "x", "y"]
    path = tmp_path / "study.h5mu"
    md.write(path)
    return path, md


def test_h5ad_elements_read_as_the_csv_reader_would(cells, tmp_path):
    path, adata = cells
    x = read_table(path)  # the one entry point every family reader uses
    csv = tmp_path / "x.csv"
    adata.to_df().to_csv(csv, index_label="sample")
    pd.testing.assert_frame_equal(x, read_table(csv), check_names=False)
    layer = read_table(f"{path}::layers/counts")
    assert layer.loc["s4", "EGFR"] == 11.0
    assert layer.columns.tolist() == ["TP53", "MYC", "EGFR"]
    obs = read_table(f"{path}::obs/subtype,age", numeric=False)
    assert obs["subtype"].tolist() == ["LumA", "Basal", "LumA", "Her2"]
    assert np.isnan(obs.loc["s3", "age"])
    pca = read_table(f"{path}::obsm/X_pca")
    assert pca.columns.tolist() == ["X_pca_0", "X_pca_1"] and pca.index.tolist() == list(obs.index)


def test_h5mu_modalities_and_global_obs(study):
    path, _ = study
    tables = read_modalities(path)
    assert list(tables) == ["prot", "rna"]
    assert tables["prot"].index.tolist() == ["a", "c", "d"]  # only the measured samples
    assert read_table(f"{path}::rna").shape == (4, 3)
    assert read_table(f"{path}::obs/subtype", numeric=False)["subtype"].tolist() == list("xyxy")
    assert read_modalities(path, modalities=["rna"])["rna"].columns.tolist() == ["g1", "g2", "g3"]


@pytest.mark.parametrize(
    ("element", "error", "message"),
    [
        ("layers/raw", DataError, "no layer 'raw'; layers: ['counts']"),
        ("obs/stage", DataError, "no obs column 'stage'"),
        ("varm/PCs", ConfigError, "unknown element"),
    ],
)
def test_unknown_elements_are_named(cells, element, error, message):
    path, _ = cells
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_table(f"{path}::{element}")


def test_several_modalities_need_a_name(study):
    path, _ = study
    with pytest.raises(
        ConfigError, match=r"holds 2 modalities \(prot, rna\); name one: study.h5mu::prot"
    ):
        read_table(path)
    with pytest.raises(DataError, match="no modality 'atac'"):
        read_table(f"{path}::atac")


def test_bad_values_are_named_by_row_and_column_never_by_content(cells, tmp_path):
    path, adata = cells
    with pytest.raises(DataError) as info:
        read_table(f"{path}::obs/subtype")  # numbers wanted, text found
    assert str(info.value) == (
        f"{path}::obs/subtype: non-numeric value at row 's1', column 'subtype' (3 more)"
    )
    assert "LumA" not in str(info.value)
    with pytest.raises(DataError, match=r"missing value at row 's3', column 'age'"):
        read_table(f"{path}::obs/age", missing="refuse")
    bad = adata.copy()
    bad.X[1, 2] = np.inf
    bad.write_h5ad(tmp_path / "inf.h5ad")
    with pytest.raises(DataError, match=r"inf.h5ad::X: infinite value at row 's2', column 'EGFR'"):
        read_table(tmp_path / "inf.h5ad")


def test_repeated_ids_are_refused_like_in_tables(tmp_path):
    a = anndata.AnnData(np.ones((2, 2)))
    a.obs_names, a.var_names = ["s1", "s2"], ["g", "g"]
    a.write_h5ad(tmp_path / "dup.h5ad")
    with pytest.raises(DataError, match=r"dup.h5ad::X: column ID 'g' appears more than once"):
        read_table(tmp_path / "dup.h5ad")


def test_missing_and_damaged_files(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_table(tmp_path / "none.h5ad")
    (tmp_path / "fake.h5ad").write_text("sample,g\ns1,1\n")
    with pytest.raises(DataError, match="not an HDF5"):
        read_table(tmp_path / "fake.h5ad")


def test_tables_too_large_are_refused_before_loading(cells, monkeypatch):
    path, _ = cells
    monkeypatch.setenv("OMICSNET_MAX_TABLE_VALUES", "5")
    with pytest.raises(DataError, match="4 x 3 values are more than the 5"):
        read_table(path)


def test_data_directory_paths_take_an_element(cells):
    path, _ = cells
    resolved = resolve_data_file("cells.h5ad::obs/subtype", data_dir=path.parent)
    assert str(resolved).endswith("cells.h5ad::obs/subtype")
    with pytest.raises(DataNotFoundError):
        resolve_data_file("other.h5ad::obs", data_dir=path.parent)


# ---------------------------------------------------------------------- writing
def test_results_go_to_a_new_file_and_the_input_is_untouched(cells, tmp_path):
    path, _ = cells
    before = _sha(path)
    latent = pd.DataFrame(
        [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], index=["s4", "s3", "s2", "s1"]
    )
    reconstruction = pd.DataFrame(
        np.ones((4, 3)), index=["s1", "s2", "s3", "s4"], columns=["EGFR", "TP53", "MYC"]
    )
    proteins = pd.DataFrame({"P1": [0.1, 0.2, 0.3, 0.4]}, index=["s1", "s2", "s3", "s4"])
    out = write_results(
        tmp_path / "results.h5ad",
        path,
        obsm={"X_omicsnet": latent, "predicted_protein": proteins},
        layers={"reconstruction": reconstruction},
        obs=pd.DataFrame(
            {"subtype_predicted": ["A", "B", "C", "D"]}, index=["s1", "s2", "s3", "s4"]
        ),
        uns={"model": "mlp", "metrics": {"f1": 0.5}, "classes": ["A", "B"]},
    )
    assert _sha(path) == before
    result = anndata.read_h5ad(out)
    assert result.obs_names.tolist() == ["s1", "s2", "s3", "s4"]  # IDs kept, in order
    assert result.obsm["X_omicsnet"][:, 0].tolist() == [7.0, 5.0, 3.0, 1.0]  # matched by ID
    assert result.obsm["predicted_protein"].columns.tolist() == ["P1"]
    assert result.layers["reconstruction"].shape == (4, 3)
    assert result.obs["subtype_predicted"].tolist() == ["A", "B", "C", "D"]
    assert result.obs["subtype"].tolist() == ["LumA", "Basal", "LumA", "Her2"]  # input kept
    assert result.uns["omicsnet"]["metrics"]["f1"] == 0.5
    assert read_table(f"{out}::obsm/X_omicsnet").loc["s1"].tolist() == [7.0, 8.0]


def test_the_input_is_never_rewritten_and_outputs_follow_the_policy(cells, tmp_path):
    path, _ = cells
    with pytest.raises(OutputExistsError, match="is the input file"):
        write_results(path, path, overwrite=True)
    (tmp_path / "taken.h5ad").write_text("mine")
    with pytest.raises(OutputExistsError, match="already exists"):
        write_results(tmp_path / "taken.h5ad", path)
    assert (tmp_path / "taken.h5ad").read_text() == "mine"
    with pytest.raises(ConfigError, match="written to a .h5ad file"):
        write_results(tmp_path / "out.h5mu", path)


def test_result_ids_that_differ_are_reported_as_for_tables(cells, tmp_path):
    path, _ = cells
    latent = pd.DataFrame({"z": [1.0, 2.0]}, index=["s1", "s9"])
    with pytest.raises(
        DataError, match=r"sample IDs differ between .*cells.h5ad obs and obsm\['X_z'\]"
    ):
        write_results(tmp_path / "o.h5ad", path, obsm={"X_z": latent})
    wrong = pd.DataFrame(np.ones((4, 2)), index=["s1", "s2", "s3", "s4"], columns=["TP53", "KRAS"])
    with pytest.raises(DataError, match="only in layers"):
        write_results(tmp_path / "o.h5ad", path, layers={"rec": wrong})
    with pytest.raises(DataError, match="obs column 'subtype' is already in"):
        write_results(tmp_path / "o.h5ad", path, obs={"subtype": ["a", "b", "c", "d"]})
    assert not (tmp_path / "o.h5ad").exists()


def test_mudata_results_name_the_modality(study, tmp_path):
    _, md = study
    predicted = pd.DataFrame(np.zeros((3, 2)), index=["a", "c", "d"], columns=["p1", "p2"])
    out = write_results(
        tmp_path / "o.h5mu", md, layers={"prot:predicted": predicted}, uns={"model": "t2p"}
    )
    again = mudata.read_h5mu(out)
    assert again.mod["prot"].layers["predicted"].shape == (3, 2)
    assert again.uns["omicsnet"]["model"] == "t2p"
    with pytest.raises(ConfigError, match="MODALITY:LAYER"):
        write_results(tmp_path / "p.h5mu", md, layers={"predicted": predicted})


# ---------------------------------------------------------------------- real data
@pytest.mark.data
def test_precise278_as_anndata_worked_example(shared_data, tmp_path):
    """The real compendium converted to AnnData: same table through every reader, results back."""
    from omicsnet.kcae.compendium import load_precise278, read_compendium
    from omicsnet.train.facade import OmicsFacade

    comp = load_precise278(shared_data)
    adata = anndata.AnnData(
        comp.expression.to_numpy(),
        obs=pd.DataFrame(
            {"study": comp.studies.astype(str), "growth_rate": comp.phenotypes["growth_rate"]},
            index=comp.expression.index,
        ),
        var=pd.DataFrame(index=comp.expression.columns),
    )
    path = tmp_path / "precise278.h5ad"
    adata.write_h5ad(path)
    before = _sha(path)

    expression = read_compendium(path)  # the kcae reader, given an .h5ad
    pd.testing.assert_frame_equal(expression, comp.expression, check_dtype=False)
    growth = read_table(f"{path}::obs/growth_rate")["growth_rate"]
    assert int(growth.notna().sum()) == 195 and growth.index.tolist() == list(comp.expression.index)

    model = OmicsFacade(path, targets="growth_rate", hidden=[32])
    assert model.task == "regression"
    model.train(max_epochs=3, progress=False)
    predicted = model.predict()
    assert predicted.shape == (278, 1) and np.isfinite(predicted.to_numpy()).all()
    out = model.write(tmp_path / "precise278_results.h5ad")
    assert _sha(path) == before
    result = anndata.read_h5ad(out)
    assert result.obs_names.tolist() == list(comp.expression.index)
    assert result.var_names.tolist() == list(comp.expression.columns)
    assert np.isfinite(result.obs["growth_rate_predicted"]).all()
    assert result.uns["omicsnet"]["model"] == "mlp"
