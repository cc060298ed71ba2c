"""Miniature corpora in each corpus's exact native layout: the tests' fixtures and the demo's data."""
