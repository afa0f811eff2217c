"""Device selection for training (defined in :mod:`omicsnet.nn.devices`).

Examples
--------
>>> resolve_device("cpu")
device(type='cpu')
"""

from omicsnet.nn.devices import resolve_device

__all__ = ["resolve_device"]
