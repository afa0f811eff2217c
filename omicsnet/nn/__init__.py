"""Reusable layers shared by the zoo (activations, dense blocks, sparse layers, backbones)."""
