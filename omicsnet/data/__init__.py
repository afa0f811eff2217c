"""Readers, containers and splits for omics data.

Modules here know nothing of models: they turn files into tables, tables into tensors,
and samples into reproducible splits.
"""
