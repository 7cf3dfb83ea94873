"""Funding use cases, one module per aggregate (programmes, ledger, applications, awards, reports)."""
