"""Scenarios API models, one module per aggregate."""
