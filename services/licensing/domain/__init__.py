"""Licensing domain rules: pure code, no FastAPI, no SQLAlchemy, no I/O."""
