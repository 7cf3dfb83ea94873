"""Scenarios use cases, one module per aggregate."""
