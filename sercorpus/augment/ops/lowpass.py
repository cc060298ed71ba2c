"""Butterworth low-pass EQ with a per-example cutoff."""

from __future__ import annotations

from sercorpus.augment.butterworth import ButterworthFilter, butterworth_params


class LowPass(ButterworthFilter):
    """Butterworth low-pass, cutoff per example in [min_cutoff_hz, max_cutoff_hz] (default 3000-7500 Hz, mel
    scale, 9th order), applied as a zero-phase magnitude (the exact magnitude of scipy's digital design)."""

    name = "lowpass"
    params = butterworth_params((3000.0, 7500.0))
