"""Choosing records: label views, filters, subsets, splits, merges, scrambling and statistics."""
