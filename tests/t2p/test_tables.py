"""Bad cohort tables get a one-line error naming the file and the IDs (never cell values)."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import DataError, DataNotFoundError
from omicsnet.t2p.data import t2p_from_tables
from omicsnet.t2p.tables import check_pairing, read_omics_table


def write(path, text):
    path.write_text(text)
    return path


def one_line(err):
    message = str(err.value)
    assert "\n" not in message
    return message


def test_genes_by_samples_are_read_as_samples_by_genes(tmp_path):
    path = write(tmp_path / "rna.tsv", "gene\tS1\tS2\nTP53\t1.5\tNA\nMYC\t\t-2e-1\n")
    frame = read_omics_table(path)
    assert frame.index.tolist() == ["S1", "S2"] and frame.columns.tolist() == ["TP53", "MYC"]
    assert frame.loc["S2", "MYC"] == pytest.approx(-0.2)
    assert np.isnan(frame.loc["S2", "TP53"]) and np.isnan(frame.loc["S1", "MYC"])


def test_samples_by_genes_csv_and_gzip(tmp_path):
    path = tmp_path / "rna.csv.gz"
    path.write_bytes(gzip.compress(b"sample,TP53,MYC\nS1,1,2\nS2,3,4\n"))
    frame = read_omics_table(path, genes_in_rows=False)
    assert frame.loc["S2"].tolist() == [3.0, 4.0]


@pytest.mark.parametrize("genes_in_rows", [True, False])
def test_a_repeated_gene_is_named_in_either_orientation(tmp_path, genes_in_rows):
    text = (
        "gene,S1,S2\nTP53,1,2\nMYC,3,4\nTP53,5,6\n"
        if genes_in_rows
        else "sample,TP53,MYC,TP53\nS1,1,3,5\nS2,2,4,6\n"
    )  # pandas would silently rename the second TP53 "TP53.1"
    path = write(tmp_path / "rna.csv", text)
    with pytest.raises(DataError) as err:
        read_omics_table(path, genes_in_rows=genes_in_rows)
    message = one_line(err)
    assert str(path) in message and "gene 'TP53' appears more than once" in message
    merged = read_omics_table(path, genes_in_rows=genes_in_rows, duplicates="mean")
    assert merged["TP53"].tolist() == [3.0, 4.0]
    first = read_omics_table(path, genes_in_rows=genes_in_rows, duplicates="first")
    assert first["TP53"].tolist() == [1.0, 2.0]


def test_a_repeated_sample_is_named(tmp_path):
    path = write(tmp_path / "rna.csv", "gene,S1,S1\nTP53,1,2\n")
    with pytest.raises(DataError) as err:
        read_omics_table(path)
    assert "sample 'S1' appears more than once" in one_line(err)


def test_a_non_numeric_cell_names_gene_and_sample_not_its_value(tmp_path):
    path = write(tmp_path / "rna.csv", "gene,S1,S2\nTP53,1,2\nMYC,secret-value,4\nEGFR,x,y\n")
    with pytest.raises(DataError) as err:
        read_omics_table(path)
    message = one_line(err)
    assert str(path) in message and "3 non-numeric cells" in message
    assert "gene 'MYC' in sample 'S1'" in message
    assert "secret-value" not in message  # never echo file contents


@pytest.mark.parametrize("genes_in_rows", [True, False])
def test_an_infinite_value_is_named_by_its_row_and_column(tmp_path, genes_in_rows):
    text = "gene,S1,S2\nTP53,1,-inf\nMYC,inf,4\n" if genes_in_rows else "s,A,B\nS1,1,2\nS2,3,Inf\n"
    path = write(tmp_path / "protein.csv", text)
    with pytest.raises(DataError) as err:
        read_omics_table(path, genes_in_rows=genes_in_rows)
    expected = (
        "row 'TP53', column 'S2' (2 infinite values in all)"
        if genes_in_rows
        else "row 'S2', column 'B' (1 infinite value in all)"
    )
    assert one_line(err) == f"{path}: infinite value at {expected}"


def test_empty_missing_and_ragged_tables(tmp_path):
    with pytest.raises(DataNotFoundError):
        read_omics_table(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="no data"):
        read_omics_table(write(tmp_path / "empty.csv", "gene,S1\n"))
    with pytest.raises(DataError, match="the header names 1 columns but the rows hold 3"):
        read_omics_table(write(tmp_path / "ragged.csv", "gene,S1\nTP53,1,2,3\nMYC,1\n"))
    with pytest.raises(DataError, match="cannot read table"):
        read_omics_table(write(tmp_path / "binary.csv.gz", "not gzip at all"))


def test_pairing_no_shared_sample_and_samples_without_protein():
    rna = pd.DataFrame({"A": [1.0, 2.0, 3.0]}, index=["S1", "S2", "S3"])
    with pytest.raises(DataError) as err:
        check_pairing(rna, pd.DataFrame({"A": [1.0]}, index=["X1"]), rna_file="r.csv",
                      protein_file="p.csv")  # fmt: skip
    assert "r.csv and p.csv share no sample" in one_line(err) and "X1" in str(err.value)
    empty = pd.DataFrame({"A": [1.0, np.nan], "B": [2.0, np.nan]}, index=["S1", "S2"])
    with pytest.raises(DataError) as err:
        check_pairing(rna, empty, protein_file="p.csv")
    assert one_line(err) == "p.csv: 1 sample without any measured protein: ['S2']"
    assert check_pairing(rna, empty.iloc[:1]) == ["S1"]
    other = pd.DataFrame({"ENSG1": [1.0], "ENSG2": [2.0]}, index=["S1"])
    with pytest.raises(DataError) as err:
        check_pairing(rna, other, rna_file="r.csv", protein_file="p.csv")
    message = one_line(err)
    assert message.startswith("r.csv and p.csv share no gene (e.g. ['A'] and ['ENSG1', 'ENSG2'])")
    assert check_pairing(rna, other, genes=False) == ["S1"]  # matched by spelling elsewhere
    long_id = "S" + "9" * 80 + "\n"
    with pytest.raises(DataError) as err:
        check_pairing(rna, pd.DataFrame({"A": [np.nan]}, index=[long_id]), protein_file="p.csv")
    assert "(82 characters)" in one_line(err) and "9" * 61 not in str(err.value)


def test_user_cohort_files_get_errors_naming_the_file(tmp_path):
    rna = write(tmp_path / "rna.csv", "gene,S1,S2,S3\nA,1,2,3\nB,2,2,5\n")
    protein = write(tmp_path / "protein.csv", "gene,S1,S2,S3\nA,0.5,,0.1\nB,1,,2\n")
    with pytest.raises(DataError) as err:
        t2p_from_tables(rna, protein)
    assert one_line(err).startswith(f"{protein}: 1 sample without any measured protein: ['S2']")
    bad = write(tmp_path / "bad.csv", "gene,S1,S2,S3\nA,1,oops,3\nB,2,2,5\n")
    with pytest.raises(
        DataError, match=r"bad\.csv: 1 non-numeric cell, e\.g\. gene 'A' in sample 'S2'"
    ):
        t2p_from_tables(bad, protein)
    other = write(tmp_path / "other.csv", "gene,T1,T2\nA,0.5,0.1\n")
    with pytest.raises(DataError, match="share no sample"):
        t2p_from_tables(rna, other)
    ensembl = write(tmp_path / "ensembl.csv", "gene,S1,S2,S3\nENSG01,0.5,0.2,0.1\n")
    with pytest.raises(DataError) as err:
        t2p_from_tables(rna, ensembl)
    assert one_line(err).startswith(f"{rna} and {ensembl} share no gene (e.g. ['A', 'B'] and")
    good = write(tmp_path / "good.csv", "gene,S1,S2,S3\nA,0.5,0.2,0.1\nB,1,3,2\n")
    assert t2p_from_tables(rna, good).protein.shape == (3, 2)


def test_the_cli_turns_a_bad_cohort_table_into_one_line_and_exit_2(tmp_path):
    from tests.conftest import run_cli

    write(tmp_path / "rna.csv", "gene,S1,S2,S3\nA,1,2,3\nB,2,2,5\nA,0,1,0\n")
    write(tmp_path / "protein.csv", "gene,S1,S2,S3\nA,0.5,0.2,0.1\n")
    result = run_cli(
        "t2p", "train", "--rna", "rna.csv", "--protein", "protein.csv", "--paper",
        "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "rna.csv: gene 'A' appears more than once" in lines[0]
    assert not (tmp_path / "run").exists()
