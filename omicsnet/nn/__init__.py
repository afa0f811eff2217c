"""Reusable layers shared by the zoo (activations, dense blocks, sparse layers, backbones)."""

from omicsnet.utils.lazy import lazy_exports

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "SparseLinear": "omicsnet.nn.sparse_linear",
    "TransposedSparseLinear": "omicsnet.nn.sparse_linear",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
