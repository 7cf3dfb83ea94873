"""Funding API models, one module per aggregate: XCreate / XUpdate / XRead."""
