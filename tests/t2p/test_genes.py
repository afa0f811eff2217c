"""Gene names of a new cohort matched to a model's inputs: case, R-mangled, Ensembl."""

from __future__ import annotations

import pytest

from omicsnet.errors import DataError, DataNotFoundError
from omicsnet.t2p.genes import (
    HUMAN_GEM_GENES,
    ensembl_gene_id,
    match_genes,
    r_make_names,
    read_gene_map,
)


@pytest.mark.parametrize(
    ("name", "mangled"),
    [
        ("2'-PDE", "X2..PDE"),  # the symbol a user had to repair by hand
        ("HLA-A", "HLA.A"),
        ("NKX2-1", "NKX2.1"),
        ("THRA1/BTR", "THRA1.BTR"),
        ("C10orf105", "C10orf105"),
        ("7SK", "X7SK"),
        ("_ABC", "X_ABC"),
        ("NA", "NA."),
    ],
)
def test_r_make_names_known_answers(name, mangled):
    assert r_make_names(name) == mangled


def test_each_column_reaches_its_input_by_the_best_method():
    model = ["TP53", "HLA-A", "2'-PDE", "C10orf105", "EGFR", "MYC"]
    table = ["TP53", "hla-a", "X2..PDE", "C10ORF105", "ENSG00000146648.18", "unrelated"]
    match = match_genes(table, model, gene_map={"ENSG00000146648": "EGFR"})
    assert match.methods == {
        "TP53": "exact",
        "HLA-A": "case",
        "2'-PDE": "r_names",
        "C10orf105": "case",
        "EGFR": "ensembl",
    }
    assert match.columns["ENSG00000146648.18"] == "EGFR"
    assert match.missing == ["MYC"] and match.unused == ["unrelated"]
    assert match.coverage() == pytest.approx(5 / 6)


def test_a_better_match_wins_and_a_tie_is_an_error_naming_both():
    assert match_genes(["HLA.A", "HLA-A"], ["HLA-A"]).columns == {"HLA-A": "HLA-A"}
    with pytest.raises(DataError) as err:
        match_genes(["hla-a", "HLA-a"], ["HLA-A"], where="new.csv")
    assert "new.csv: columns 'hla-a' and 'HLA-a' both match model input 'HLA-A'" in str(err.value)


def test_inputs_that_mangle_alike_are_left_out_as_ambiguous():
    match = match_genes(["A.B"], ["A-B", "A_B", "A B"])  # "A-B" and "A B" both become "A.B"
    assert match.columns == {} and match.ambiguous == ["A.B"]


def test_model_named_by_ensembl_ids_matches_versions():
    assert ensembl_gene_id("ensg00000141510.3") == "ENSG00000141510"
    match = match_genes(["ENSG00000141510.16"], ["ENSG00000141510"])
    assert match.methods == {"ENSG00000141510": "ensembl"}


def test_read_gene_map_columns_and_errors(tmp_path):
    table = tmp_path / "map.csv"
    table.write_text("ensembl_gene_id,hgnc_symbol,other\nENSG00000141510.16,TP53,x\n,,\n")
    assert read_gene_map(table) == {"ENSG00000141510": "TP53"}
    with pytest.raises(DataNotFoundError):
        read_gene_map(tmp_path / "absent.tsv")
    (tmp_path / "bad.tsv").write_text("a\tb\nfoo\tbar\n")
    with pytest.raises(DataError, match="no Ensembl gene ID"):
        read_gene_map(tmp_path / "bad.tsv")


@pytest.mark.data
def test_human_gem_gene_table_maps_ensembl_to_symbols(shared_data):
    mapping = read_gene_map(shared_data / HUMAN_GEM_GENES)
    assert mapping["ENSG00000000419"] == "DPM1"
    assert 2800 < len(mapping) < 3100  # Human-GEM's metabolic genes only
