"""Registry API request and response models, one module per resource (XCreate / XUpdate / XRead / Page)."""
