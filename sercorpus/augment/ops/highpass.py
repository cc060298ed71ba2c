"""Butterworth high-pass EQ with a per-example cutoff."""

from __future__ import annotations

from sercorpus.augment.butterworth import ButterworthFilter, butterworth_params


class HighPass(ButterworthFilter):
    """Butterworth high-pass, cutoff per example in [min_cutoff_hz, max_cutoff_hz] (default 50-300 Hz, mel
    scale, 9th order), applied as a zero-phase magnitude (the exact magnitude of scipy's digital design)."""

    name = "highpass"
    params = butterworth_params((50.0, 300.0))
