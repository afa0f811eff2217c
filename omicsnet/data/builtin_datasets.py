"""Built-in datasets: generated paired omics (always available) and real data loaders."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from omicsnet.data.tables import read_table
from omicsnet.data.tabular import TabularData
from omicsnet.errors import ConfigError
from omicsnet.utils.paths import resolve_data_file


def synthetic_omics(
    n_samples: int = 400,
    n_genes: int = 200,
    n_proteins: int = 50,
    n_pathways: int = 8,
    noise: float = 0.3,
    task: str = "regression",
    seed: int = 0,
) -> TabularData:
    """Generate transcript and protein abundances with known structure.

    Genes are driven by a few latent pathway activities. Each protein ``k`` is encoded by
    gene ``k`` (same symbol): its abundance is a saturating function of its own mRNA plus
    a pathway-level post-transcriptional effect and noise, so a model that uses both the
    own transcript and the pathway context beats one that uses either alone. With
    ``task="classification"`` the target is instead a 3-class subtype given by the
    dominant pathway activity.

    Examples
    --------
    >>> data = synthetic_omics(n_samples=20, n_genes=12, n_proteins=4, seed=1)
    >>> list(data.y.columns) == list(data.x.columns[:4])
    True
    """
    if n_proteins > n_genes:
        raise ConfigError(f"n_proteins ({n_proteins}) cannot exceed n_genes ({n_genes})")
    rng = np.random.default_rng(seed)
    activity = rng.normal(size=(n_samples, n_pathways))
    loadings = rng.normal(size=(n_pathways, n_genes)) * (rng.random((n_pathways, n_genes)) < 0.3)
    mrna = activity @ loadings + rng.normal(scale=0.5, size=(n_samples, n_genes))
    genes = [f"G{i:04d}" for i in range(n_genes)]
    samples = [f"S{i:04d}" for i in range(n_samples)]
    x = pd.DataFrame(mrna.astype(np.float32), index=samples, columns=genes)
    if task == "classification":
        subtype = np.argmax(activity[:, :3], axis=1)
        y = pd.DataFrame({"subtype": subtype}, index=samples)
        return TabularData(x, y, "classification", "generated 3-subtype omics", ["A", "B", "C"])
    if task != "regression":
        raise ConfigError(
            f"synthetic_omics task must be 'regression' or 'classification', got {task!r}"
        )
    own = np.tanh(mrna[:, :n_proteins])
    regulation = activity @ rng.normal(scale=0.5, size=(n_pathways, n_proteins))
    protein = own + regulation + rng.normal(scale=noise, size=(n_samples, n_proteins))
    y = pd.DataFrame(protein.astype(np.float32), index=samples, columns=genes[:n_proteins])
    return TabularData(x, y, "regression", "generated paired transcriptome → proteome")


def breast_tcga(target: str = "subtype", data_dir: str | None = None) -> TabularData:
    """TCGA breast cancer training set of mixOmics (``multiomics/breast_tcga``).

    Parameters
    ----------
    target
        ``"subtype"`` (Basal / Her2 / LumA classification) or ``"protein"`` (RPPA
        regression).
    data_dir
        Data directory (default ``OMICSNET_DATA``).

    Examples
    --------
    >>> data = breast_tcga(data_dir="../shared/data")  # doctest: +SKIP
    >>> data.x.shape  # doctest: +SKIP
    (150, 200)
    """
    x = read_table(resolve_data_file("multiomics/breast_tcga/train_mrna.csv", data_dir))
    if target == "protein":
        y = read_table(resolve_data_file("multiomics/breast_tcga/train_protein.csv", data_dir))
        return TabularData(x, y.loc[x.index], "regression", "TCGA breast: mRNA → RPPA protein")
    if target != "subtype":
        raise ConfigError(f"breast_tcga target must be 'subtype' or 'protein', got {target!r}")
    labels = read_table(
        resolve_data_file("multiomics/breast_tcga/train_subtype.csv", data_dir), numeric=False
    )["subtype"]
    classes = sorted(labels.unique())
    codes = labels.map({c: i for i, c in enumerate(classes)}).astype(np.int64)
    y = codes.loc[x.index].to_frame("subtype")
    return TabularData(x, y, "classification", "TCGA breast: mRNA → PAM50 subtype", classes)


#: Built-in datasets: name -> (loader, description, needs the data directory).
BUILTIN_DATASETS: dict[str, tuple[Callable[..., TabularData], str, bool]] = {
    "synthetic_omics": (
        synthetic_omics,
        "generated paired transcriptome → proteome (pathway factors, own-mRNA effects, noise)",
        False,
    ),
    "breast_tcga": (
        breast_tcga,
        "150 TCGA breast tumours (mixOmics): 200 mRNA → PAM50 subtype or 142 RPPA proteins",
        True,
    ),
}
