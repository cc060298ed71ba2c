"""Parameter validation, YAML configs (safe loading, registry, resources) and the shipped recipes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from sercorpus.augment import (
    REGISTRY,
    BackgroundNoise,
    Fade,
    Gain,
    HighPass,
    OneOf,
    PinkNoise,
    SegmentSpeedup,
    SpecAugment,
    SyntheticReverb,
    Telephone,
    TimeShift,
    TimeStretch,
    load_config,
    pad_batch,
)
from sercorpus.augment.config import build_op

SR = 16000
RECIPES = Path(__file__).resolve().parents[2] / "recipes" / "augment"


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Gain(min_gain_db=-100), r"gain: min_gain_db=-100 is outside the allowed range \[-60, 40\]"),
        (lambda: Gain(min_gain_db=3, max_gain_db=1), r"gain: min_gain_db=3 must be <= max_gain_db=1"),
        (lambda: Gain(p=1.5), r"gain: p=1.5 is outside the allowed range \[0, 1\]"),
        (lambda: Fade(max_in=0.7), r"fade: max_in=0.7 is outside the allowed range \[0, 0.5\]"),
        (
            lambda: TimeStretch(min_rate=0.1),
            r"time_stretch: min_rate=0.1 is outside the allowed range \[0.25, 4\]",
        ),
        (lambda: TimeShift(unit="bars"), r"time_shift: unit='bars' is not one of \['fraction', 'seconds'\]"),
        (lambda: SegmentSpeedup(factor=1.0), r"segment_speedup: factor=1.0 does nothing"),
        (lambda: HighPass(order=40), r"highpass: order=40 is outside the allowed range \[1, 16\]"),
        (
            lambda: PinkNoise(min_snr_db=100),
            r"pink_noise: min_snr_db=100 is outside the allowed range \[-30, 60\]",
        ),
        (lambda: PinkNoise(reference="speech"), r"pink_noise: reference='speech' is not one of"),
        (lambda: BackgroundNoise(), r"background_noise: give exactly one of root"),
        (
            lambda: BackgroundNoise(folder=".", snrs_db=[]),
            r"background_noise: snrs_db=\[\] must be a non-empty list",
        ),
        (
            lambda: SyntheticReverb(max_t60=9),
            r"synthetic_reverb: max_t60=9 is outside the allowed range \[0.05, 5\]",
        ),
        (lambda: Telephone(codec="gsm"), r"telephone: codec='gsm' is not one of"),
        (lambda: SpecAugment(max_time_fraction=2), r"spec_augment: max_time_fraction=2 is outside"),
        (lambda: OneOf([Gain()], weights=[0]), r"one_of: weights must not all be 0"),
        (lambda: Gain(min_gain_db="loud"), r"gain: min_gain_db='loud' must be a number in \[-60, 40\]"),
    ],
)
def test_invalid_parameters_are_rejected_clearly(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_cutoff_above_nyquist_is_reported(signals):
    x, lengths = pad_batch(signals[:1])
    with pytest.raises(ValueError, match=r"lowpass: max_cutoff_hz=9000 must be below Nyquist \(4000 Hz\)"):
        from sercorpus.augment import LowPass

        LowPass(3000, 9000)(x, lengths, 8000, ids=["a"])


def test_config_errors():
    with pytest.raises(ValueError, match=r"unknown op 'reverbb'; known ops: \["):
        build_op({"op": "reverbb"})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['snr'\] for op 'pink_noise'"):
        build_op({"op": "pink_noise", "snr": 3})
    with pytest.raises(ValueError, match=r"needs exactly one of 'op', 'chain', 'one_of'"):
        build_op({"op": "gain", "chain": []})
    with pytest.raises(ValueError, match=r"unknown top-level keys \['chian'\]"):
        load_config({"chian": []})
    with pytest.raises(ValueError, match=r"config.chain\[1\]: gain: max_gain_db=99"):
        load_config({"chain": [{"op": "gain"}, {"op": "gain", "max_gain_db": 99}]})


def test_yaml_is_never_evaluated(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("chain:\n  - !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(yaml.YAMLError):
        load_config(evil)


def test_config_with_resources_and_relative_paths(tmp_path, esc50_mini, rir_folder, signals):
    cfg = tmp_path / "aug.yaml"
    cfg.write_text(
        "sample_rate: 16000\nrate: 1.0\nchain:\n"
        "  - {op: rir_reverb}\n"
        "  - one_of: [{op: background_noise, groups: [natural], snrs_db: [5]}, {op: pink_noise}]\n"
        "    weights: [3, 1]\n"
        "  - {op: time_stretch, p: 0.5}\n"
    )
    aug = load_config(cfg, {"noise_root": esc50_mini, "rir_dir": rir_folder[0]})
    x, lengths = pad_batch(signals)
    out = aug(x, lengths, ids=[str(i) for i in range(len(signals))], seed=1)
    for prov in out.provenance:
        ops = prov["ops"]["ops"]
        assert [o["op"] for o in ops] == ["rir_reverb", "one_of", "time_stretch"]
    with pytest.raises(ValueError, match=r"give exactly one of rir_dir or paths \(from the CLI: --rir-dir\)"):
        load_config(cfg)


def test_registry_has_every_op():
    assert {
        "gain",
        "fade",
        "gradual_fade",
        "time_shift",
        "time_stretch",
        "segment_speedup",
        "highpass",
        "lowpass",
        "pink_noise",
        "background_noise",
        "rir_reverb",
        "synthetic_reverb",
        "pedalboard_reverb",
        "telephone",
        "spec_augment",
    } <= set(REGISTRY)


@pytest.mark.parametrize("recipe", sorted(p.relative_to(RECIPES).as_posix() for p in RECIPES.rglob("*.yaml")))
def test_recipes_run(recipe, esc50_mini, signals):
    aug = load_config(RECIPES / recipe, {"noise_root": esc50_mini})
    ids = [str(i) for i in range(3)]
    if aug.domain == "features":
        from sercorpus.augment import LogMel

        x, lengths = pad_batch(signals[:3])
        feats, frames = LogMel(SR)(x, lengths)
        out = aug(feats, frames, ids=ids)
        assert out.x.shape == feats.shape
        return
    x, lengths = pad_batch(signals[:3])
    out = aug(x, lengths, ids=ids, seed=2)
    assert torch.isfinite(out.x).all() and len(out.provenance) == 3
    for i, n in enumerate(out.lengths.tolist()):
        assert torch.count_nonzero(out.x[i, n:]) == 0
