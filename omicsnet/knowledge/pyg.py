"""PyTorch Geometric, imported only for the graph exports that need it.

``torch-geometric`` is an optional dependency (``pip install 'omicsnet[pyg]'``): nothing
else in omicsnet uses it.

Examples
--------
>>> pyg_hetero_data().__name__
'HeteroData'
"""

from __future__ import annotations

from typing import Any

from omicsnet.errors import ConfigError

INSTALL_HINT = "pip install 'omicsnet[pyg]' (or torch-geometric>=2.5)"


def pyg_hetero_data() -> Any:
    """``torch_geometric.data.HeteroData``, or a one-line error saying how to install it."""
    try:
        from torch_geometric.data import HeteroData
    except ImportError as err:
        raise ConfigError(
            f"exporting to PyTorch Geometric needs torch-geometric: {INSTALL_HINT}"
        ) from err
    return HeteroData


__all__ = ["INSTALL_HINT", "pyg_hetero_data"]
