"""The bottom layer: schema, manifest and audio I/O, atomic writes, seeds, errors, reports, votes and label maps."""
