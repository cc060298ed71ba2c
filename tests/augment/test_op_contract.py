"""The op contract, checked for every registered op (a new op file is covered the day it is added).

For each op: parameter validation messages name op, parameter, value and the allowed range; an example's
output is the same whatever batch it is in (hypothesis draws lengths and layouts); padding stays zero and
the caller's tensor is untouched; global RNGs are untouched; an output is reproduced exactly from its
provenance JSON (``Augmenter.replay``). The checks are plain functions so a throwaway op can be run through
them too (test_op_extension.py).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from augment_signals import SR, tone_mix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sercorpus.augment import registry
from sercorpus.augment.augmenter import Augmenter
from sercorpus.augment.config import build_op
from sercorpus.augment.features import LogMel
from sercorpus.augment.op import Op
from sercorpus.augment.padding import pad_batch, unpad
from sercorpus.augment.params import Param, interval

#: max |difference| allowed between an example's output in two batch layouts (0: byte-identical)
LAYOUT_TOLERANCE = 0.0

OP_NAMES = sorted(registry.ops())


def make(cls: type[Op], resources: dict[str, Path], **params: Any) -> Op:
    """The op with its declared resources filled from the test resources (and ``params``)."""
    kwargs: dict[str, Any] = {}
    for p in cls.declared:
        if p.resource and not any(k in params for k in (p.name, *p.alternatives)):
            if p.resource not in resources:
                pytest.fail(f"{cls.name}: no test resource for {p.resource!r}; add one to conftest.resources")
            kwargs[p.name] = str(resources[p.resource])
    kwargs.update(params)
    return cls(**kwargs)


def inputs(cls: type[Op], signals: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """A padded batch in the op's domain: waveforms, or log-mel features of them."""
    x, lengths = pad_batch(signals)
    if cls.domain == "features":
        return LogMel(SR)(x, lengths)
    return x, lengths


def rows_of(x: torch.Tensor, lengths: torch.Tensor) -> list[np.ndarray]:
    return unpad(x, lengths)


# --------------------------------------------------------------------------------------- validation
def bad_values(p: Param) -> list[tuple[Any, list[str]]]:
    """Invalid values for a declared parameter and the fragments its error message must contain."""
    rng = [] if p.lo is None else [interval(p.lo, p.hi, p.lo_open, p.hi_open)]  # type: ignore[arg-type]
    out: list[tuple[Any, list[str]]] = []
    if p.kind in ("number", "integer", "number_or_choice", "integer_or_choice", "numbers"):
        over = (p.hi or 0) + 1
        value: Any = [over] if p.kind == "numbers" else (int(over) if "integer" in p.kind else over)
        out.append((value, rng))
    if p.kind in ("number", "integer"):
        out.append(("loud", rng))
    if p.kind == "integer":
        out.append((1.5, rng))
    if p.kind in ("choice", "number_or_choice", "integer_or_choice") or (p.kind == "names" and p.choices):
        out.append(("__bogus__", [repr(c) for c in p.choices[:1]]))
    if p.kind == "flag":
        out.append(("yes", ["true or false"]))
    if p.kind == "numbers":
        out.append(([], ["non-empty list"]))
    if p.kind == "path":
        out.append((123, ["must be a path"]))
    if p.kind == "paths":
        out.append(("one.wav", ["list of paths"]))
    if p.kind == "names":
        out.append((5, ["list of names"]))
    return out


def check_validation(cls: type[Op], resources: dict[str, Path]) -> None:
    make(cls, resources)  # the defaults are valid
    for p in cls.declared:
        if not p.yaml:
            continue
        for value, fragments in bad_values(p):
            with pytest.raises(ValueError) as caught:
                make(cls, resources, **{p.name: value})
            message = str(caught.value)
            shown = repr(value[0]) if isinstance(value, list) and value else repr(value)
            assert message.startswith(f"{cls.name}: {p.name}"), message
            assert shown in message, f"{cls.name}.{p.name}: value {shown} not named in {message!r}"
            for fragment in fragments:
                assert fragment in message, f"{cls.name}.{p.name}: {fragment!r} missing from {message!r}"
    for span in cls.spans.values():
        lo, hi = span.names
        a = span.lo + (span.hi - span.lo) * 0.75
        b = span.lo + (span.hi - span.lo) * 0.25
        with pytest.raises(ValueError, match=rf"{cls.name}: {lo}={a:g} must be <= {hi}={b:g}"):
            make(cls, resources, **{lo: a, hi: b})
    with pytest.raises(
        ValueError, match=rf"unknown parameter\(s\) \['nope'\] for op '{cls.name}'; allowed: "
    ):
        build_op({"op": cls.name, "nope": 1})


# ------------------------------------------------------------------------------------------ layouts
def run(op: Op, signals: list[np.ndarray], ids: list[str], pad: int = 0, seed: int = 3):
    x, lengths = inputs(type(op), signals)
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
    y, new_lengths, prov = op(x, lengths, SR, ids=ids, seed=seed)
    return dict(zip(ids, rows_of(y, new_lengths), strict=True)), dict(zip(ids, prov, strict=True))


def check_layouts(cls: type[Op], resources: dict[str, Path], max_examples: int = 4) -> None:
    op = make(cls, resources)

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        lengths=st.lists(st.integers(300, 5000), min_size=2, max_size=4),
        data=st.data(),
    )
    def layouts(lengths: list[int], data: st.DataObject) -> None:
        ids = [f"u{i}" for i in range(len(lengths))]
        signals = [tone_mix(n, seed=i) for i, n in enumerate(lengths)]
        ref_audio, ref_prov = run(op, signals, ids)
        order = data.draw(st.permutations(range(len(lengths))))
        keep = data.draw(st.integers(1, len(lengths)))
        pad = data.draw(st.integers(0, 1500))
        sub = list(order[:keep])
        audio, prov = run(op, [signals[i] for i in sub], [ids[i] for i in sub], pad=pad)
        for i in sub:
            utt = ids[i]
            assert prov[utt] == ref_prov[utt], f"{cls.name}: provenance depends on the batch"
            assert audio[utt].shape == ref_audio[utt].shape
            diff = float(np.max(np.abs(audio[utt] - ref_audio[utt]))) if audio[utt].size else 0.0
            assert diff <= LAYOUT_TOLERANCE, f"{cls.name}: {utt} differs by {diff:g} across batch layouts"

    layouts()


def check_padding_and_input(cls: type[Op], resources: dict[str, Path]) -> None:
    op = make(cls, resources)
    signals = [tone_mix(n, seed=i) for i, n in enumerate((4000, 1500, 2700))]
    x, lengths = inputs(cls, signals)
    x = torch.nn.functional.pad(x, (0, 700))
    before = x.clone()
    y, new_lengths, prov = op(x, lengths, SR, ids=["a", "b", "c"])
    assert torch.equal(x, before), f"{cls.name} modified its input"
    assert len(prov) == 3 and all(p["op"] == cls.name for p in prov)
    assert torch.isfinite(y).all()
    for i, n in enumerate(new_lengths.tolist()):
        assert torch.count_nonzero(y[i, ..., n:]) == 0, f"{cls.name} wrote into padding"


def check_global_rng(cls: type[Op], resources: dict[str, Path]) -> None:
    torch.manual_seed(123)
    random.seed(5)
    np.random.seed(9)
    states = (torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())
    op = make(cls, resources)
    x, lengths = inputs(cls, [tone_mix(2000, seed=1), tone_mix(900, seed=2)])
    op(x, lengths, SR, ids=["a", "b"])
    assert torch.equal(states[0], torch.get_rng_state()), f"{cls.name} touched torch's global RNG"
    assert states[1] == random.getstate(), f"{cls.name} touched Python's global RNG"
    assert np.array_equal(states[2], np.random.get_state()[1]), f"{cls.name} touched numpy's global RNG"


def check_replay(cls: type[Op], resources: dict[str, Path]) -> None:
    """Every output of a batch is reproduced exactly from its JSON provenance alone."""
    aug = Augmenter(make(cls, resources), rate=1.0, sample_rate=SR)
    signals = [tone_mix(n, seed=i) for i, n in enumerate((3000, 1200, 2500))]
    x, lengths = inputs(cls, signals)
    out = aug(x, lengths, ids=["r0", "r1", "r2"], copy=2, seed=11)
    for audio, expected, prov in zip(
        unpad(x, lengths), unpad(out.x, out.lengths), out.provenance, strict=True
    ):
        record = json.loads(json.dumps(prov, allow_nan=False))
        replayed = Augmenter.replay(record, audio=audio)
        assert replayed.shape == expected.shape and np.array_equal(replayed, expected), (
            f"{cls.name}: replay of {prov['id']} differs"
        )


def run_contract(cls: type[Op], resources: dict[str, Path]) -> None:
    check_validation(cls, resources)
    check_padding_and_input(cls, resources)
    check_global_rng(cls, resources)
    check_replay(cls, resources)
    check_layouts(cls, resources)


# ---------------------------------------------------------------------------- over the registry
@pytest.mark.parametrize("name", OP_NAMES)
def test_validation_messages(name, resources):
    check_validation(registry.get_op(name), resources)


@pytest.mark.parametrize("name", OP_NAMES)
def test_same_output_whatever_the_batch_layout(name, resources):
    check_layouts(registry.get_op(name), resources)


@pytest.mark.parametrize("name", OP_NAMES)
def test_padding_stays_zero_and_input_untouched(name, resources):
    check_padding_and_input(registry.get_op(name), resources)


@pytest.mark.parametrize("name", OP_NAMES)
def test_global_rng_untouched(name, resources):
    check_global_rng(registry.get_op(name), resources)


@pytest.mark.parametrize("name", OP_NAMES)
def test_replay_reproduces_the_output(name, resources):
    check_replay(registry.get_op(name), resources)


def test_every_op_declares_and_documents_its_parameters():
    for name in OP_NAMES:
        cls = registry.get_op(name)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
        assert (cls.__doc__ or "").strip(), f"{name} has no docstring"
        for p in cls.declared:
            assert p.doc.strip(), f"{name}.{p.name} has no doc"
            if p.yaml:
                assert p.check(name, p.default) == p.default or p.default is None
