"""Matching: read models of enterprises, scenarios, challenges and patents, and the matches between them."""
