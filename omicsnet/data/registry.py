"""Named datasets: built-in generated data and loaders for real data in the data directory.

A dataset loader returns a :class:`TabularData`: a samples × features input table, a
target table, and the task. Loaders that need files read them from the data directory
(``OMICSNET_DATA`` or ``data_dir=``) and say which file is missing when it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omicsnet.data.tabular import TabularData
from omicsnet.errors import ConfigError

DatasetLoader = Callable[..., "TabularData"]


_DATASETS: dict[str, tuple[DatasetLoader, str, bool]] = {}


def register_dataset(
    name: str, description: str, *, needs_data_dir: bool = False
) -> Callable[[DatasetLoader], DatasetLoader]:
    """Register a dataset loader under ``name``.

    Examples
    --------
    >>> import pandas as pd
    >>> @register_dataset("tiny_example", "two samples, one feature")
    ... def tiny_example() -> TabularData:
    ...     x = pd.DataFrame({"g": [0.0, 1.0]}, index=["a", "b"])
    ...     return TabularData(x, x.rename(columns={"g": "p"}), "regression")
    >>> load_dataset("tiny_example").x.shape
    (2, 1)
    """

    def decorator(loader: DatasetLoader) -> DatasetLoader:
        _DATASETS[name] = (loader, description, needs_data_dir)
        return loader

    return decorator


_builtins_loaded = False


def _ensure_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    from omicsnet.data.builtin_datasets import BUILTIN_DATASETS

    for name, (loader, description, needs_data_dir) in BUILTIN_DATASETS.items():
        _DATASETS.setdefault(name, (loader, description, needs_data_dir))


def list_datasets() -> dict[str, str]:
    """Return ``{name: description}`` of registered datasets.

    Examples
    --------
    >>> "synthetic_omics" in list_datasets()
    True
    """
    _ensure_builtins()
    return {
        name: description + (" [needs the data directory]" if needs else "")
        for name, (_, description, needs) in sorted(_DATASETS.items())
    }


def load_dataset(name: str, **params: Any) -> TabularData:
    """Load a registered dataset by name.

    Parameters
    ----------
    name
        Dataset name (see :func:`list_datasets`).
    **params
        Loader options, e.g. ``n_samples`` for generated data or ``data_dir`` for real data.

    Examples
    --------
    >>> data = load_dataset("synthetic_omics", n_samples=50, n_genes=30, n_proteins=10)
    >>> data.x.shape, data.y.shape, data.task
    ((50, 30), (50, 10), 'regression')
    """
    _ensure_builtins()
    try:
        loader = _DATASETS[name][0]
    except KeyError:
        raise ConfigError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(_DATASETS))}"
        ) from None
    try:
        return loader(**params)
    except TypeError as err:
        raise ConfigError(f"dataset {name!r}: {err}") from err
