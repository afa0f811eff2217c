"""AnnData (``.h5ad``) and MuData (``.h5mu``) files in and out, as the CSV readers' tables.

Where most single-cell and multi-omics data already live (scanpy, muon, scvi-tools), an
omicsnet table can come from a part of one file. A path names the part after ``::``:

=================================  ===================================================
path                               table (samples in rows)
=================================  ===================================================
``cells.h5ad``                     ``X`` (obs × var)
``cells.h5ad::layers/counts``      the layer ``counts``
``cells.h5ad::obs``                every ``obs`` column (targets, covariates, groups)
``cells.h5ad::obs/subtype,age``    the named ``obs`` columns
``cells.h5ad::obsm/X_pca``         an ``obsm`` matrix (columns ``X_pca_0``, ... unless
                                   it is a DataFrame)
``study.h5mu::rna``                modality ``rna``'s ``X`` (also ``rna/X``,
                                   ``rna/layers/NAME``, ``rna/obs``, ``rna/obsm/NAME``)
``study.h5mu::obs/subtype``        the MuData's own ``obs`` columns
``study.h5mu``                     the only modality's ``X`` (an error names the
                                   modalities when there are several)
=================================  ===================================================

:func:`omicsnet.data.tables.read_table` sends such paths here, so every command and
function that reads an expression, protein or phenotype table through it accepts them
(``omicsnet train`` configs, the kcae and t2p commands; see ``docs/multiomics.md``).
Only the element asked for is read from the file (HDF5, through anndata's element
reader): nothing is unpickled or evaluated. The checks are those of the table reader,
with the same messages: a repeated sample (``obs``) or feature (``var``) ID, a
non-numeric, infinite or (when refused) missing value, each naming the file, the element,
the row and the column, never the cell's content. Tables larger than
:data:`MAX_DENSE_VALUES` values are refused before anything is loaded.

:func:`read_modalities` reads every modality of a MuData file (one table per omics);
:func:`write_results` writes results back into a **new** file: latent spaces in ``obsm``,
predictions and reconstructions in ``layers`` (when their features are the file's
``var``; other predictions go to ``obsm`` as DataFrames), predicted classes and
phenotypes in ``obs``, run metadata in ``uns["omicsnet"]``. The input is never rewritten.

Examples
--------
>>> import tempfile, pathlib, numpy as np, pandas as pd, anndata
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> adata = anndata.AnnData(np.arange(6.0).reshape(3, 2),
...     obs=pd.DataFrame({"subtype": ["LumA", "Basal", "LumA"]}, index=["s1", "s2", "s3"]),
...     var=pd.DataFrame(index=["TP53", "MYC"]))
>>> adata.write_h5ad(folder / "cells.h5ad")
>>> read_container_table(folder / "cells.h5ad")
    TP53  MYC
s1   0.0  1.0
s2   2.0  3.0
s3   4.0  5.0
>>> read_container_table(f"{folder}/cells.h5ad::obs/subtype", numeric=False)["subtype"].tolist()
['LumA', 'Basal', 'LumA']
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError, shown
from omicsnet.utils.paths import CONTAINER_SUFFIXES, split_container_path

logger = logging.getLogger(__name__)

#: Largest table (samples × features values) read into memory as a dense array: 250
#: million values (2 GB as float64). Raise it with ``OMICSNET_MAX_TABLE_VALUES``.
MAX_DENSE_VALUES = 250_000_000
MAX_VALUES_ENV = "OMICSNET_MAX_TABLE_VALUES"
#: Key of omicsnet's run metadata in a written file's ``uns``.
UNS_KEY = "omicsnet"
_INSTALL_HINT = "install the scverse extra: pip install 'omicsnet[scverse]'"


# ------------------------------------------------------------------ optional imports
def _anndata() -> Any:
    try:
        import anndata
    except ImportError as err:  # pragma: no cover - the extra is part of 'all'
        raise ConfigError(f"reading .h5ad/.h5mu files needs anndata: {_INSTALL_HINT}") from err
    return anndata


def _mudata() -> Any:
    try:
        import mudata
    except ImportError as err:  # pragma: no cover - the extra is part of 'all'
        raise ConfigError(f"reading .h5mu files needs mudata: {_INSTALL_HINT}") from err
    mudata.set_options(pull_on_update=False)  # keep MuData from copying modality columns
    return mudata


def _read_elem(node: Any) -> Any:
    anndata = _anndata()
    reader = getattr(getattr(anndata, "io", None), "read_elem", None)
    if reader is None:  # anndata < 0.11
        from anndata.experimental import read_elem as reader
    return reader(node)


def _max_values() -> int:
    raw = os.environ.get(MAX_VALUES_ENV)
    if raw:
        try:
            return int(float(raw))
        except ValueError:
            raise ConfigError(f"{MAX_VALUES_ENV} must be a number, got {raw!r}") from None
    return MAX_DENSE_VALUES


# ------------------------------------------------------------------ reading
def container_kind(path: str | os.PathLike[str]) -> str:
    """``"h5ad"`` or ``"h5mu"`` from the file name (``::element`` allowed).

    Examples
    --------
    >>> container_kind("study.h5mu::rna"), container_kind("cells.H5AD")
    ('h5mu', 'h5ad')
    """
    file, _ = split_container_path(path)
    name = file.name.lower()
    for suffix in CONTAINER_SUFFIXES:
        if name.endswith(suffix):
            return suffix[1:]
    raise ConfigError(f"{file}: not an AnnData (.h5ad) or MuData (.h5mu) file")


def _open(file: Path) -> Any:
    import h5py

    if not file.is_file():
        raise DataNotFoundError(f"file {file} does not exist")
    try:
        return h5py.File(file, "r")
    except OSError as err:
        raise DataError(f"cannot read {file}: not an HDF5 (.h5ad/.h5mu) file or damaged") from err


def _modalities(handle: Any) -> list[str]:
    return sorted(handle["mod"].keys()) if "mod" in handle else []


def _index_of(handle: Any, group: str, where: str) -> pd.Index:
    """The names (obs or var) of an AnnData group, as strings."""
    if group not in handle:
        raise DataError(f"{where}: the file has no {group!r} element")
    frame = _safe_read(handle[group], where)
    return pd.Index([str(v) for v in frame.index])


def _safe_read(node: Any, where: str) -> Any:
    try:
        return _read_elem(node)
    except (OSError, KeyError, ValueError, TypeError, NotImplementedError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DataError(f"{where}: cannot read this element: {first}") from err


def _matrix_shape(node: Any) -> tuple[int, ...]:
    shape = node.attrs.get("shape") if hasattr(node, "attrs") else None
    if shape is not None:  # a sparse matrix group
        return tuple(int(v) for v in shape)
    return tuple(int(v) for v in getattr(node, "shape", ()))


def _dense(node: Any, where: str) -> np.ndarray:
    shape = _matrix_shape(node)
    if shape and int(np.prod(shape)) > _max_values():
        raise DataError(
            f"{where}: {' x '.join(map(str, shape))} values are more than the "
            f"{_max_values():,} read into memory at once; select fewer features first or "
            f"raise {MAX_VALUES_ENV}"
        )
    value = _safe_read(node, where)
    if hasattr(value, "toarray"):
        value = value.toarray()
    if isinstance(value, pd.DataFrame):
        return value
    array = np.asarray(value)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataError(f"{where}: expected a 2-D matrix, got shape {array.shape}")
    return array


def _table_from_group(
    handle: Any, prefix: str, parts: list[str], where: str, *, numeric: bool
) -> pd.DataFrame:
    """One table of an AnnData group (the file root or ``mod/NAME``): parts = the element."""
    base = handle[prefix] if prefix else handle
    obs_names = _index_of(base, "obs", where)
    head = parts[0] if parts else "X"
    if head == "X" and len(parts) <= 1:
        if "X" not in base:
            raise DataError(f"{where}: the file has no X matrix; name a layer (::layers/NAME)")
        return _frame(_dense(base["X"], where), obs_names, _index_of(base, "var", where), where)
    if head == "layers" and len(parts) == 2:
        layers = base.get("layers", {})
        if parts[1] not in layers:
            raise DataError(
                f"{where}: no layer {shown(parts[1])}; layers: {sorted(layers) or 'none'}"
            )
        matrix = _dense(layers[parts[1]], where)
        return _frame(matrix, obs_names, _index_of(base, "var", where), where)
    if head == "obsm" and len(parts) == 2:
        obsm = base.get("obsm", {})
        if parts[1] not in obsm:
            raise DataError(f"{where}: no obsm {shown(parts[1])}; obsm: {sorted(obsm) or 'none'}")
        matrix = _dense(obsm[parts[1]], where)
        if isinstance(matrix, pd.DataFrame):
            columns = pd.Index([str(c) for c in matrix.columns])
            return _frame(matrix.to_numpy(), obs_names, columns, where)
        columns = pd.Index([f"{parts[1]}_{i}" for i in range(matrix.shape[1])])
        return _frame(matrix, obs_names, columns, where)
    if head == "obs" and len(parts) <= 2:
        return _obs_columns(base, parts[1] if len(parts) == 2 else None, where, numeric=numeric)
    raise ConfigError(
        f"{where}: unknown element; use X, layers/NAME, obs, obs/COLUMN[,COLUMN] or obsm/NAME"
    )


def _obs_columns(base: Any, names: str | None, where: str, *, numeric: bool) -> pd.DataFrame:
    obs = _safe_read(base["obs"], where)
    obs.index = pd.Index([str(v) for v in obs.index])
    obs.columns = pd.Index([str(c) for c in obs.columns])
    if names is not None:
        wanted = [n.strip() for n in names.split(",") if n.strip()]
        missing = [n for n in wanted if n not in obs.columns]
        if missing:
            raise DataError(
                f"{where}: no obs column {shown(missing[0])}; obs columns: "
                f"{', '.join(map(str, list(obs.columns)[:10])) or 'none'}"
            )
        obs = obs[wanted]
    for column in obs.columns:
        if isinstance(obs[column].dtype, pd.CategoricalDtype):
            values = obs[column].astype(object)
            obs[column] = values.where(values.notna(), np.nan)
    if numeric:
        obs = obs.astype(object)
    return obs


def _frame(matrix: Any, rows: pd.Index, columns: pd.Index, where: str) -> pd.DataFrame:
    array = np.asarray(matrix)
    if array.shape != (len(rows), len(columns)):
        raise DataError(
            f"{where}: the matrix is {array.shape[0]} x {array.shape[1]} but the file names "
            f"{len(rows)} samples (obs) and {len(columns)} features (var)"
        )
    if array.dtype.kind not in "biuf":
        return pd.DataFrame(array.astype(object), index=rows, columns=columns)
    return pd.DataFrame(array.astype(np.float64, copy=False), index=rows, columns=columns)


def _split_element(
    kind: str, element: str | None, handle: Any, file: Path
) -> tuple[str, list[str]]:
    """(group prefix, element parts) for a path's ``::element``."""
    parts = [p for p in (element or "").split("/") if p != ""]
    if kind == "h5ad":
        return "", parts
    modalities = _modalities(handle)
    if parts and parts[0] in ("obs", "obsm"):
        return "", parts
    if not parts:
        if len(modalities) == 1:
            return f"mod/{modalities[0]}", []
        raise ConfigError(
            f"{file} holds {len(modalities)} modalities ({', '.join(modalities) or 'none'}); "
            f"name one: {file.name}::{modalities[0] if modalities else 'MODALITY'}"
        )
    if parts[0] not in modalities:
        raise DataError(
            f"{file}: no modality {shown(parts[0])}; modalities: {', '.join(modalities) or 'none'}"
        )
    return f"mod/{parts[0]}", parts[1:]


def read_container_table(
    path: str | os.PathLike[str], *, numeric: bool = True, missing: str = "allow"
) -> pd.DataFrame:
    """Read one table (samples in rows) from an ``.h5ad``/``.h5mu`` file (see the module doc).

    Parameters
    ----------
    path
        ``FILE.h5ad`` or ``FILE.h5mu``, optionally followed by ``::ELEMENT``.
    numeric, missing
        As for :func:`omicsnet.data.tables.read_table` (the same checks and messages).

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Not an HDF5 file, an unknown element, repeated IDs, or bad values (the message
        names the file, the element, the row and the column).
    ConfigError
        An element name that does not fit the file (e.g. several modalities, none named).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, anndata
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.h5ad"
    >>> a = anndata.AnnData(np.ones((2, 2)))
    >>> a.obs_names, a.var_names = ["s1", "s1"], ["g1", "g2"]
    >>> a.write_h5ad(p)
    >>> read_container_table(p)
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: ...a.h5ad::X: row ID 's1' appears more than once
    """
    from omicsnet.data.checks import check_table

    file, element = split_container_path(path)
    kind = container_kind(file)
    if missing not in ("allow", "refuse"):
        raise ConfigError(f"missing must be 'allow' or 'refuse', got {missing!r}")
    with _open(file) as handle:
        prefix, parts = _split_element(kind, element, handle, file)
        shown_element = "/".join([*(prefix.split("/")[1:2] if prefix else []), *(parts or ["X"])])
        where = f"{file}::{shown_element}"
        frame = _table_from_group(handle, prefix, parts, where, numeric=numeric)
    return check_table(frame, where, numeric=numeric, missing=missing)


def read_modalities(
    path: str | os.PathLike[str],
    *,
    modalities: list[str] | None = None,
    layer: str | None = None,
    missing: str = "allow",
) -> dict[str, pd.DataFrame]:
    """Every modality's table of a MuData file: ``{modality: samples × features}``.

    Each table holds only the samples measured in that modality (its own ``obs``); joining
    them, and what happens to samples missing a modality, is
    :func:`omicsnet.data.omics.join_omics`'s job.

    Parameters
    ----------
    path
        A ``.h5mu`` file.
    modalities
        Which modalities, in this order (default: all, sorted by name).
    layer
        Read this layer of every modality instead of ``X``.
    missing
        As for :func:`read_container_table`.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, anndata, mudata
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.h5mu"
    >>> rna = anndata.AnnData(np.ones((3, 2))); rna.obs_names = ["a", "b", "c"]
    >>> prot = anndata.AnnData(np.zeros((2, 1))); prot.obs_names = ["a", "c"]
    >>> mudata.MuData({"rna": rna, "prot": prot}).write(p)
    >>> {k: v.shape for k, v in read_modalities(p).items()}
    {'prot': (2, 1), 'rna': (3, 2)}
    """
    file, element = split_container_path(path)
    if container_kind(file) != "h5mu":
        raise ConfigError(f"{file}: several omics come from a MuData (.h5mu) file")
    if element:
        raise ConfigError(f"{path}: name the whole .h5mu file here (modalities=, layer=)")
    with _open(file) as handle:
        names = _modalities(handle)
    chosen = list(modalities) if modalities is not None else names
    unknown = [m for m in chosen if m not in names]
    if unknown:
        raise DataError(
            f"{file}: no modality {shown(unknown[0])}; modalities: {', '.join(names) or 'none'}"
        )
    if not chosen:
        raise DataError(f"{file} holds no modality")
    suffix = f"/layers/{layer}" if layer else ""
    return {m: read_container_table(f"{file}::{m}{suffix}", missing=missing) for m in chosen}


# ------------------------------------------------------------------ in-memory objects
def anndata_table(adata: Any, *, layer: str | None = None, where: str = "AnnData") -> pd.DataFrame:
    """``X`` (or a layer) of an in-memory AnnData as a checked samples × features table.

    Examples
    --------
    >>> import numpy as np, anndata
    >>> a = anndata.AnnData(np.eye(2)); a.obs_names = ["s1", "s2"]; a.var_names = ["g", "h"]
    >>> anndata_table(a).loc["s2", "h"]
    np.float64(1.0)
    """
    from omicsnet.data.checks import check_table

    if layer is None:
        matrix, element = adata.X, "X"
        if matrix is None:
            raise DataError(f"{where} has no X matrix; name a layer")
    else:
        if layer not in adata.layers:
            raise DataError(f"{where}: no layer {shown(layer)}; layers: {list(adata.layers)}")
        matrix, element = adata.layers[layer], f"layers/{layer}"
    if int(np.prod(matrix.shape)) > _max_values():
        raise DataError(f"{where}::{element}: too large to use as a dense table")
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    rows = pd.Index([str(v) for v in adata.obs_names])
    columns = pd.Index([str(v) for v in adata.var_names])
    frame = _frame(np.asarray(matrix), rows, columns, f"{where}::{element}")
    return check_table(frame, f"{where}::{element}", numeric=True, missing="allow")


def obs_table(adata: Any, columns: list[str], *, where: str = "AnnData") -> pd.DataFrame:
    """The named ``obs`` columns of an in-memory AnnData/MuData (IDs as strings).

    Examples
    --------
    >>> import numpy as np, pandas as pd, anndata
    >>> a = anndata.AnnData(np.eye(2), obs=pd.DataFrame({"t": [0.5, 1.5]}, index=["a", "b"]))
    >>> obs_table(a, ["t"])["t"].tolist()
    [0.5, 1.5]
    """
    missing = [c for c in columns if c not in adata.obs.columns]
    if missing:
        raise DataError(
            f"{where}: no obs column {shown(missing[0])}; obs columns: "
            f"{', '.join(map(str, list(adata.obs.columns)[:10])) or 'none'}"
        )
    frame = adata.obs[list(columns)].copy()
    frame.index = pd.Index([str(v) for v in frame.index])
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), np.nan)
    return frame


def modality_tables(
    mdata: Any, *, modalities: list[str] | None = None, layer: str | None = None
) -> dict[str, pd.DataFrame]:
    """Every modality's table of an in-memory MuData (as :func:`read_modalities`).

    Examples
    --------
    >>> import numpy as np, anndata, mudata
    >>> rna = anndata.AnnData(np.ones((2, 3))); rna.obs_names = ["a", "b"]
    >>> md = mudata.MuData({"rna": rna})
    >>> modality_tables(md)["rna"].shape
    (2, 3)
    """
    names = list(mdata.mod)
    chosen = list(modalities) if modalities is not None else sorted(names)
    unknown = [m for m in chosen if m not in names]
    if unknown:
        raise DataError(f"MuData: no modality {shown(unknown[0])}; modalities: {names}")
    return {m: anndata_table(mdata.mod[m], layer=layer, where=f"MuData[{m}]") for m in chosen}


# ------------------------------------------------------------------ writing
def read_container(path: str | os.PathLike[str]) -> Any:
    """The whole AnnData (``.h5ad``) or MuData (``.h5mu``) object of a file.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, anndata
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.h5ad"
    >>> anndata.AnnData(np.ones((2, 3))).write_h5ad(p)
    >>> read_container(p).shape
    (2, 3)
    """
    file, element = split_container_path(path)
    if element:
        raise ConfigError(f"{path}: name the whole file here, without '::{element}'")
    kind = container_kind(file)
    _open(file).close()  # one-line errors for a missing or non-HDF5 file, before anndata
    try:
        if kind == "h5ad":
            return _anndata().read_h5ad(file)
        return _mudata().read_h5mu(file)
    except (OSError, KeyError, ValueError, TypeError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DataError(f"cannot read {file}: {first}") from err


def _rows_for(value: Any, obs_names: pd.Index, what: str, source: str) -> np.ndarray | pd.DataFrame:
    """``value`` with rows in ``obs_names`` order (a DataFrame's IDs are checked)."""
    from omicsnet.data.datasets import align_samples

    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        value = value.copy()
        value.index = pd.Index([str(v) for v in value.index])
        reference = pd.DataFrame(index=obs_names)
        return align_samples(reference, value, f"{source} obs", what)
    array = np.asarray(value)
    if array.ndim == 1:
        array = array[:, None]
    if array.shape[0] != len(obs_names):
        raise DataError(
            f"{what}: {array.shape[0]} rows for the {len(obs_names)} samples of {source}"
        )
    return array


def _uns_value(value: Any) -> Any:
    """Run metadata as HDF5 can hold it: scalars, strings and mappings of them; JSON else."""
    if isinstance(value, Mapping):
        return {str(k): _uns_value(v) for k, v in value.items()}
    if isinstance(value, (bool, int, float, str, np.generic)):
        return value
    return json.dumps(value, default=str)


def write_results(
    output: str | os.PathLike[str],
    source: Any,
    *,
    obsm: Mapping[str, Any] | None = None,
    layers: Mapping[str, Any] | None = None,
    obs: pd.DataFrame | Mapping[str, Any] | None = None,
    uns: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``source`` plus results into a NEW ``.h5ad``/``.h5mu`` file (atomically).

    Parameters
    ----------
    output
        The file to write (``.h5ad`` for an AnnData source, ``.h5mu`` for a MuData one).
        It follows the output policy (:func:`omicsnet.utils.output.check_output_file`):
        an existing file is replaced only with ``overwrite``, and the source file never,
        whatever ``overwrite`` says.
    source
        The input: an AnnData/MuData object, or the path of its file (read whole).
    obsm
        Per-sample matrices: latent spaces (``{"X_omicsnet": latent}``) and predictions
        whose features are not the file's ``var``. DataFrames are matched to the samples
        by ID (in any order); arrays must have one row per sample, in ``obs`` order.
        Keys starting with ``X_`` are stored as float32 arrays (scanpy's convention for
        embeddings, e.g. ``sc.pp.neighbors(adata, use_rep="X_omicsnet")``); other
        DataFrames keep their column names.
    layers
        Samples × features matrices over the file's ``var`` (predictions,
        reconstructions). For a MuData, name the modality: ``{"rna:reconstruction": ...}``.
        A DataFrame's columns must be those features (in any order).
    obs
        Per-sample columns (predicted classes, phenotypes). A column the source already
        has is refused (its values are the user's data).
    uns
        Run metadata, stored under ``uns["omicsnet"]`` (nested mappings kept; lists and
        other values as JSON text).
    overwrite
        Replace an existing output file.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    OutputExistsError
        The output exists (without ``overwrite``) or is the source file.
    DataError
        Results whose sample or feature IDs differ from the source's (the message lists a
        few on each side, as for tables).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, pandas as pd, anndata
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> a = anndata.AnnData(np.ones((2, 2)), obs=pd.DataFrame(index=["s1", "s2"]),
    ...                     var=pd.DataFrame(index=["g1", "g2"]))
    >>> a.write_h5ad(folder / "in.h5ad")
    >>> latent = pd.DataFrame([[0.5], [0.25]], index=["s2", "s1"])
    >>> out = write_results(folder / "out.h5ad", folder / "in.h5ad",
    ...                     obsm={"X_omicsnet": latent}, obs={"predicted": ["A", "B"]},
    ...                     uns={"model": "mlp"})
    >>> b = anndata.read_h5ad(out)
    >>> b.obsm["X_omicsnet"].ravel().tolist(), b.uns["omicsnet"]["model"]
    ([0.25, 0.5], 'mlp')
    >>> write_results(folder / "in.h5ad", folder / "in.h5ad", overwrite=True)
    Traceback (most recent call last):
    ...
    omicsnet.errors.OutputExistsError: ... is the input file; omicsnet never rewrites its input...
    """
    from omicsnet.errors import OutputExistsError
    from omicsnet.utils.output import check_output_file

    out = Path(output)
    source_path: Path | None = None
    if isinstance(source, (str, os.PathLike)):
        source_path = split_container_path(source)[0]
        if Path(out).expanduser().resolve() == source_path.expanduser().resolve():
            raise OutputExistsError(
                f"{out} is the input file; omicsnet never rewrites its input: name a new file"
            )
        target = check_output_file(out, overwrite=overwrite)  # before any work
        obj = read_container(source)
        label = str(source_path)
    else:
        target = check_output_file(out, overwrite=overwrite)
        obj = source.copy()
        label = type(source).__name__
    is_mudata = hasattr(obj, "mod")
    wanted = ".h5mu" if is_mudata else ".h5ad"
    if not target.name.lower().endswith(wanted):
        raise ConfigError(f"{out}: a {type(obj).__name__} is written to a {wanted} file")
    obs_names = pd.Index([str(v) for v in obj.obs_names])

    for key, value in (obsm or {}).items():
        rows = _rows_for(value, obs_names, f"obsm[{key!r}]", label)
        if isinstance(rows, pd.DataFrame) and not str(key).startswith("X_"):
            rows = rows.copy()  # predictions keep their feature names
            rows.index = obj.obs_names
            rows.columns = [str(c) for c in rows.columns]
        else:  # an embedding (scanpy's X_ convention): a plain float matrix
            rows = np.asarray(rows, dtype=np.float32)
        obj.obsm[str(key)] = rows
    for key, value in (layers or {}).items():
        _put_layer(obj, str(key), value, label, is_mudata)
    if obs is not None:
        frame = obs if isinstance(obs, pd.DataFrame) else pd.DataFrame(dict(obs))
        if not isinstance(obs, pd.DataFrame):
            frame.index = obs_names
        for column in frame.columns:
            if str(column) in obj.obs.columns:
                raise DataError(
                    f"obs column {shown(column)} is already in {label}; omicsnet does not "
                    "replace your columns: choose another name"
                )
        rows = _rows_for(frame, obs_names, "obs results", label)
        for column in rows.columns:
            obj.obs[str(column)] = np.asarray(rows[column])
    if uns:
        merged = dict(obj.uns.get(UNS_KEY, {})) if UNS_KEY in obj.uns else {}
        merged.update(_uns_value(dict(uns)))
        obj.uns[UNS_KEY] = merged
    _atomic_write(obj, target, is_mudata)
    logger.info("wrote %s", target)
    return target


def _put_layer(obj: Any, key: str, value: Any, label: str, is_mudata: bool) -> None:
    from omicsnet.data.datasets import align_samples

    holder, name = obj, key
    if is_mudata:
        modality, sep, name = key.partition(":")
        if not sep or modality not in obj.mod:
            raise ConfigError(
                f"layers[{key!r}]: name the modality as 'MODALITY:LAYER' "
                f"(modalities: {', '.join(obj.mod)})"
            )
        holder = obj.mod[modality]
    obs_names = pd.Index([str(v) for v in holder.obs_names])
    var_names = pd.Index([str(v) for v in holder.var_names])
    rows = _rows_for(value, obs_names, f"layers[{key!r}]", label)
    if isinstance(rows, pd.DataFrame):
        columns = pd.DataFrame(index=pd.Index([str(c) for c in rows.columns]))
        align_samples(  # the same message for features as for samples
            pd.DataFrame(index=var_names), columns, f"{label} var", f"layers[{key!r}] columns"
        )
        rows.columns = [str(c) for c in rows.columns]
        rows = rows[list(var_names)].to_numpy()
    if rows.shape[1] != len(var_names):
        raise DataError(
            f"layers[{key!r}]: {rows.shape[1]} columns for the {len(var_names)} features of "
            f"{label}; predictions of other features go to obsm"
        )
    holder.layers[name] = np.asarray(rows, dtype=np.float32)


def _atomic_write(obj: Any, target: Path, is_mudata: bool) -> None:
    import contextlib
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".h5mu" if is_mudata else ".h5ad"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    try:
        if is_mudata:
            _mudata().write_h5mu(tmp, obj)
        else:
            obj.write_h5ad(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


__all__ = [
    "MAX_DENSE_VALUES",
    "UNS_KEY",
    "anndata_table",
    "container_kind",
    "modality_tables",
    "obs_table",
    "read_container",
    "read_container_table",
    "read_modalities",
    "write_results",
]
