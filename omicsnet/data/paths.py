"""Where datasets live (defined in :mod:`omicsnet.utils.paths`, below every layer).

Examples
--------
>>> get_data_dir("/srv/omics").as_posix()
'/srv/omics'
"""

from omicsnet.utils.paths import DATA_ENV_VAR, get_data_dir, resolve_data_file

__all__ = ["DATA_ENV_VAR", "get_data_dir", "resolve_data_file"]
