"""CPTAC transcriptomics and proteomics: the offline UCEC 2019 release and the ``cptac`` package.

Two sources give the same kind of tables, samples in rows and gene symbols in columns:

* **release files** (offline): the CPTAC endometrial (UCEC) 2019 release that the
  ``cptac==0.4.1`` wheel bundled under ``cptac/endometrial/data/`` (tab-separated,
  genes in rows, samples ``S001``… in columns; ``clinical.txt[.gz]`` is latin-1 and holds
  the tumour/normal status in ``Proteomics_Tumor_Normal``). They are found in the data
  directory (:mod:`omicsnet.utils.paths`) under ``transcript_protein/cptac_ucec``, in a
  folder of your choice, or inside the wheel file itself
  (``pip download --no-deps cptac==0.4.1``);
* **the cptac package** (any cohort; needs network on first use): imported lazily, and its
  tables are cached under the user cache folder (CSV or parquet, never pickles) so that
  later calls work offline.

Examples
--------
>>> release_file_names()["proteomics"]
'proteomics.cct.gz'
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from omicsnet.errors import DataError, DataNotFoundError, shown
from omicsnet.utils.io import atomic_write_bytes

logger = logging.getLogger(__name__)

UCEC_RELEASE_DIR = "transcript_protein/cptac_ucec"
"""Where the UCEC release files live inside the data directory."""

WHEEL_DATA_DIR = "cptac/endometrial/data"
"""Where the same files live inside the ``cptac==0.4.1`` wheel."""

_RELEASE_FILES = {
    "transcriptomics": "transcriptomics_linear.cct.gz",
    "proteomics": "proteomics.cct.gz",
    "clinical": "clinical.txt.gz",
}

CACHE_ENV_VAR = "OMICSNET_CACHE_DIR"

# cohort name → class names in cptac (1.x first, then 0.x)
_PACKAGE_COHORTS: dict[str, tuple[str, ...]] = {
    "ucec": ("Ucec", "Endometrial"),
    "brca": ("Brca",),
    "ccrcc": ("Ccrcc",),
    "coad": ("Coad", "Colon"),
    "gbm": ("Gbm",),
    "hnscc": ("Hnscc",),
    "lscc": ("Lscc",),
    "luad": ("Luad",),
    "ov": ("Ov", "Ovarian"),
    "pdac": ("Pdac",),
}
_COHORT_ALIASES = {"endometrial": "ucec", "colon": "coad", "ovarian": "ov"}


@dataclass
class CptacCohort:
    """One cohort's paired tables, samples in rows.

    Attributes
    ----------
    name
        Cohort name (``"ucec"``, ``"brca"``, ...).
    rna, protein
        Samples × gene symbols (log2 scale as released; proteins may hold NaN).
    tumour
        Sample → ``True`` for tumours, ``False`` for normal tissue, over the union of the
        samples of both tables.
    clinical
        The clinical table when the source has one, else ``None``.
    source
        Where the tables came from (a folder, a wheel, or ``cptac package (cache: ...)``).
    """

    name: str
    rna: pd.DataFrame
    protein: pd.DataFrame
    tumour: pd.Series
    clinical: pd.DataFrame | None = None
    source: str = ""


def release_file_names() -> dict[str, str]:
    """Return the file name of each table in the UCEC release.

    Examples
    --------
    >>> sorted(release_file_names())
    ['clinical', 'proteomics', 'transcriptomics']
    """
    return dict(_RELEASE_FILES)


def find_ucec_release(
    source: str | os.PathLike[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Return the folder (or wheel file) holding the UCEC release files.

    Parameters
    ----------
    source
        A folder with the files, a folder of an unpacked ``cptac`` 0.4.1 wheel (its
        ``cptac/endometrial/data`` is used), or the ``.whl`` file itself. ``None`` looks in
        the data directory under :data:`UCEC_RELEASE_DIR`.
    data_dir
        Data directory (else ``OMICSNET_DATA``), used when ``source`` is ``None``.

    Raises
    ------
    DataNotFoundError
        When the files are not there; the message says how to get them.

    Examples
    --------
    >>> find_ucec_release("/no/such")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataNotFoundError: CPTAC UCEC release files not found in /no/such. ...
    """
    if source is None:
        from omicsnet.utils.paths import resolve_data_file

        try:
            return resolve_data_file(UCEC_RELEASE_DIR, data_dir=data_dir)
        except DataNotFoundError as err:
            raise DataNotFoundError(f"{err}. {_HOW_TO_GET}") from None
    path = Path(source).expanduser()
    if path.is_file() and path.suffix == ".whl":
        return path
    for candidate in (path, path / WHEEL_DATA_DIR):
        if candidate.is_dir() and _member(candidate, "proteomics") is not None:
            return candidate
    raise DataNotFoundError(f"CPTAC UCEC release files not found in {path}. {_HOW_TO_GET}")


_HOW_TO_GET = (
    "Get them with `pip download --no-deps cptac==0.4.1` and pass the wheel (or its "
    f"unpacked {WHEEL_DATA_DIR} folder) as source=, or put them in "
    f"<data dir>/{UCEC_RELEASE_DIR}"
)


def _member(folder: Path, kind: str) -> Path | None:
    name = _RELEASE_FILES[kind]
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _open_release_table(location: Path, kind: str) -> tuple[Any, str, str | None]:
    """Return ``(file object or path, description, compression)`` for one release table."""
    name = _RELEASE_FILES[kind]
    if location.is_file():  # a wheel
        try:
            archive = zipfile.ZipFile(location)
        except zipfile.BadZipFile as err:
            raise DataError(f"{location} is not a readable wheel (zip) file: {err}") from err
        with archive:
            for member in (f"{WHEEL_DATA_DIR}/{name}", f"{WHEEL_DATA_DIR}/{name[:-3]}"):
                if member in archive.namelist():
                    raw = archive.read(member)
                    compression = "gzip" if member.endswith(".gz") else None
                    return io.BytesIO(raw), f"{location}!{member}", compression
        raise DataNotFoundError(f"{location} has no {WHEEL_DATA_DIR}/{name}. {_HOW_TO_GET}")
    path = _member(location, kind)
    if path is None:
        raise DataNotFoundError(f"{location} has no {name}. {_HOW_TO_GET}")
    return path, str(path), "gzip" if path.suffix == ".gz" else None


def _read_release_table(location: Path, kind: str) -> pd.DataFrame:
    handle, where, compression = _open_release_table(location, kind)
    encoding = "latin-1" if kind == "clinical" else "utf-8"
    try:
        frame = pd.read_csv(
            handle, sep="\t", index_col=0, compression=compression, encoding=encoding
        )
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read {where}: {err}") from err
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    if kind != "clinical":
        frame = _check_numeric(frame.T, where)  # genes in rows → samples in rows
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"{where}: sample {dup!r} appears more than once")
    return frame


def _check_numeric(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Return ``frame`` as floats, or raise naming the first non-numeric cell."""
    text_columns = [c for c, t in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
    if not text_columns:
        return frame
    converted = frame[text_columns].apply(pd.to_numeric, errors="coerce")
    bad = converted.isna() & frame[text_columns].notna()
    if bool(bad.to_numpy().any()):
        row, col = next(zip(*bad.to_numpy().nonzero(), strict=True))
        raise DataError(
            f"{where}: non-numeric value for gene "
            f"{shown(text_columns[col])}, sample {shown(frame.index[row])}"
        )
    frame = frame.copy()
    frame[text_columns] = converted
    return frame.astype(float)


def read_ucec_release(
    source: str | os.PathLike[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None
) -> CptacCohort:
    """Read the CPTAC UCEC 2019 release: transcriptomics, proteomics and clinical tables.

    Parameters
    ----------
    source, data_dir
        Where the files are (see :func:`find_ucec_release`).

    Returns
    -------
    CptacCohort
        RNA (28,057 genes × 115 samples in the release), proteins (10,999 × 153), the
        clinical table, and the tumour flag from ``Proteomics_Tumor_Normal``.

    Examples
    --------
    >>> cohort = read_ucec_release()  # doctest: +SKIP
    >>> cohort.rna.shape, int(cohort.tumour.sum())  # doctest: +SKIP
    ((115, 28057), 104)
    """
    location = find_ucec_release(source, data_dir=data_dir)
    rna = _read_release_table(location, "transcriptomics")
    protein = _read_release_table(location, "proteomics")
    clinical = _read_release_table(location, "clinical")
    status_column = "Proteomics_Tumor_Normal"
    if status_column not in clinical.columns:
        raise DataError(f"{location}: clinical table has no {status_column!r} column")
    samples = rna.index.union(protein.index)
    missing = samples.difference(clinical.index)
    if len(missing):
        raise DataError(
            f"{location}: {len(missing)} samples have no clinical row (e.g. {list(missing[:3])})"
        )
    tumour = clinical.loc[samples, status_column].astype(str).str.lower().eq("tumor")
    logger.info("read UCEC release from %s: rna %s, protein %s", location, rna.shape, protein.shape)
    return CptacCohort("ucec", rna, protein, tumour.rename("tumour"), clinical, str(location))


# ---------------------------------------------------------------------- cptac package + cache
def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return omicsnet's cache folder for CPTAC tables.

    ``path`` wins, then ``OMICSNET_CACHE_DIR``, then ``$XDG_CACHE_HOME/omicsnet``, then
    ``~/.cache/omicsnet``; tables go into its ``cptac/<cohort>/`` subfolder.

    Examples
    --------
    >>> cache_dir("/tmp/my-cache").as_posix()
    '/tmp/my-cache'
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "omicsnet"


def _cache_format() -> str:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "csv.gz"
    return "parquet"


def _cached_table(folder: Path, name: str, fetch: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Read ``folder/name.{parquet,csv.gz}``, or ``fetch()`` it and write it there atomically."""
    for suffix in ("parquet", "csv.gz"):
        path = folder / f"{name}.{suffix}"
        if path.is_file():
            try:
                if suffix == "parquet":
                    return pd.read_parquet(path)
                return pd.read_csv(path, index_col=0)
            except (ValueError, OSError, ImportError, pd.errors.ParserError) as err:
                raise DataError(f"cached table {path} is unreadable ({err}); delete it") from err
    frame = fetch()
    suffix = _cache_format()
    buffer = io.BytesIO()
    if suffix == "parquet":
        frame.to_parquet(buffer)
    else:
        frame.to_csv(buffer, compression={"method": "gzip", "mtime": 0})
    atomic_write_bytes(folder / f"{name}.{suffix}", buffer.getvalue())
    return frame


def _flatten_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """cptac ≥ 1.0 labels columns (Name, Database_ID): keep the gene symbol."""
    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = frame.columns.get_level_values(0)
    frame.columns = frame.columns.map(str)
    frame.index = frame.index.map(str)
    frame.columns.name = None
    frame.index.name = "sample"
    return frame


def _import_cptac() -> Any:
    try:
        import cptac  # heavy, and raises when offline
    except ImportError as err:
        raise DataNotFoundError(
            "the cptac package is not installed (pip install cptac); offline, use the UCEC "
            f"release files instead (source='files'). {_HOW_TO_GET}"
        ) from err
    except Exception as err:  # cptac 1.5 fetches its index at import and fails offline
        raise DataNotFoundError(
            f"the cptac package could not start ({type(err).__name__}: {err}); it needs network "
            "access on first use. Offline, use the UCEC release files (source='files'), or a "
            f"cache filled earlier. {_HOW_TO_GET}"
        ) from err
    return cptac


def _package_dataset(cptac: Any, cohort: str) -> Any:
    for class_name in _PACKAGE_COHORTS[cohort]:
        builder = getattr(cptac, class_name, None)
        if builder is not None:
            try:
                return builder()
            except Exception as err:  # network and index errors of the package
                raise DataNotFoundError(
                    f"cptac.{class_name}() failed ({type(err).__name__}: {err}); it needs "
                    "network access to download the cohort"
                ) from err
    raise DataNotFoundError(f"this cptac version has no class for cohort {cohort!r}")


# sources tried when none is given and the getter needs one (cptac >= 1.0)
_DEFAULT_SOURCES = {"get_transcriptomics": "bcm", "get_proteomics": "umich"}


def _get(dataset: Any, method: str, source: str | None) -> pd.DataFrame:
    getter = getattr(dataset, method)
    try:
        if source:
            table = getter(source=source)
        else:
            try:
                table = getter()
            except TypeError:  # cptac >= 1.0 wants a data source
                table = getter(source=_DEFAULT_SOURCES[method])
    except Exception as err:
        raise DataNotFoundError(
            f"cptac {method}({'source=' + repr(source) if source else ''}) failed: "
            f"{type(err).__name__}: {err}"
        ) from err
    return _flatten_columns(table)


def load_cptac_package(
    cohort: str,
    *,
    cache: str | os.PathLike[str] | None = None,
    rna_source: str | None = None,
    protein_source: str | None = None,
) -> CptacCohort:
    """Load one cohort's transcriptomics and proteomics through the ``cptac`` package, cached.

    The first call imports ``cptac`` (lazily: it needs network) and writes both tables to
    ``<cache>/cptac/<cohort>/``; later calls read the cache and do not import ``cptac``.
    Samples whose ID ends in ``.N`` (cptac's marker for normal tissue) are flagged as normal.

    Parameters
    ----------
    cohort
        ``"ucec"`` (or ``"endometrial"``), ``"brca"``, ``"ccrcc"``, ``"coad"``, ``"gbm"``,
        ``"hnscc"``, ``"lscc"``, ``"luad"``, ``"ov"`` or ``"pdac"``.
    cache
        Cache folder (see :func:`cache_dir`).
    rna_source, protein_source
        Data source names for cptac ≥ 1.0 (e.g. ``"bcm"``, ``"umich"``); ``None`` calls
        the getters without one (cptac 0.x), or with ``"bcm"`` (transcriptomics) and
        ``"umich"`` (proteomics) when the getter requires a source.

    Raises
    ------
    DataNotFoundError
        Unknown cohort, package missing or offline with nothing cached.

    Examples
    --------
    >>> load_cptac_package("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataNotFoundError: unknown CPTAC cohort 'nope'; choose one of brca, ...
    """
    key = _COHORT_ALIASES.get(cohort.lower(), cohort.lower())
    if key not in _PACKAGE_COHORTS:
        raise DataNotFoundError(
            f"unknown CPTAC cohort {cohort!r}; choose one of {', '.join(sorted(_PACKAGE_COHORTS))}"
        )
    folder = cache_dir(cache) / "cptac" / key
    state: dict[str, Any] = {}

    def dataset() -> Any:
        if "dataset" not in state:
            state["dataset"] = _package_dataset(_import_cptac(), key)
        return state["dataset"]

    rna = _cached_table(
        folder,
        f"transcriptomics{'_' + rna_source if rna_source else ''}",
        lambda: _get(dataset(), "get_transcriptomics", rna_source),
    )
    protein = _cached_table(
        folder,
        f"proteomics{'_' + protein_source if protein_source else ''}",
        lambda: _get(dataset(), "get_proteomics", protein_source),
    )
    for frame in (rna, protein):
        frame.index = frame.index.map(str)
        frame.columns = frame.columns.map(str)
    samples = rna.index.union(protein.index)
    tumour = pd.Series(~samples.str.endswith(".N"), index=samples, name="tumour")
    return CptacCohort(key, rna, protein, tumour, None, f"cptac package (cache: {folder})")
