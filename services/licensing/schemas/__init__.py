"""Licensing API models, one module per aggregate."""
