"""The omicsnet version (kept in one place; read by setuptools and by the code)."""

__version__ = "0.1.0"
