"""Licensing: university and institute patents reaching firms by open licence, trial-then-transfer or equity."""
