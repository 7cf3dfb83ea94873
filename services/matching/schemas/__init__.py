"""Matching API request and response models, one module per resource."""
