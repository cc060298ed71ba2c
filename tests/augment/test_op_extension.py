"""A new op is one new file: dropped into the ops package path, it is discovered, usable from YAML, listed by
``--list-ops``, documented, validated and run through the whole contract suite, with no other edit."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
from test_op_contract import run_contract
from typer.testing import CliRunner

from sercorpus.augment import ops as ops_package
from sercorpus.augment import registry
from sercorpus.augment.augmenter import load_config
from sercorpus.augment.catalog import list_ops_text, markdown
from sercorpus.augment.padding import pad_batch
from sercorpus.cli import app

THROWAWAY = textwrap.dedent(
    '''
    """A throwaway op written by a test: polarity flip plus a gain."""

    from sercorpus.augment.op import Op, tensor_of
    from sercorpus.augment.params import Span, flag


    class FlipGain(Op):
        """Multiply by -10^(g/20) (or +, without ``flip``), g ~ U(min_level_db, max_level_db)."""

        name = "flip_gain_test"
        params = (
            Span("level_db", (-3.0, 0.0), -20.0, 0.0, "the level (dB)"),
            flag("flip", True, "invert the polarity too"),
        )

        def sample(self, rng, length, sample_rate):
            return {"level_db": self.draw("level_db", rng)}

        def apply(self, batch, params, measure=False):
            g = 10.0 ** (tensor_of(params, "level_db", batch.x.device) / 20.0)
            sign = -1.0 if self.flip else 1.0
            return batch.with_x(batch.x * (sign * g)[:, None]), None
    '''
)


@pytest.fixture
def throwaway_op(tmp_path):
    folder = tmp_path / "more_ops"
    folder.mkdir()
    (folder / "flip_gain_test.py").write_text(THROWAWAY, encoding="utf-8")
    ops_package.__path__.append(str(folder))
    try:
        registry.discover()
        yield registry.get_op("flip_gain_test")
    finally:
        ops_package.__path__.remove(str(folder))
        registry.unregister("flip_gain_test")
        sys.modules.pop(f"{registry.OPS_PACKAGE}.flip_gain_test", None)


def test_a_new_op_file_is_all_it_takes(throwaway_op, resources, signals):
    cls = throwaway_op
    assert cls.__name__ == "FlipGain"
    # usable from YAML
    aug = load_config({"chain": [{"op": "flip_gain_test", "min_level_db": -6, "max_level_db": -6}]})
    x, lengths = pad_batch(signals[:2])
    out = aug(x, lengths, ids=["a", "b"])
    assert torch.allclose(out.x, -(10 ** (-6 / 20)) * x, atol=1e-6)
    assert out.provenance[0]["ops"]["ops"][0] == {"op": "flip_gain_test", "applied": True, "level_db": -6.0}
    # validated from its declaration
    with pytest.raises(
        ValueError, match=r"flip_gain_test: max_level_db=3 is outside the allowed range \[-20, 0\]"
    ):
        load_config({"chain": [{"op": "flip_gain_test", "max_level_db": 3}]})
    with pytest.raises(ValueError, match=r"flip_gain_test: flip='no' must be true or false"):
        load_config({"chain": [{"op": "flip_gain_test", "flip": "no"}]})
    # listed and documented
    result = CliRunner().invoke(app, ["augment", "--list-ops"])
    assert result.exit_code == 0, result.output
    assert "flip_gain_test" in result.output and "min_level_db" in result.output
    assert "flip_gain_test" in list_ops_text() and "### `flip_gain_test` (FlipGain)" in markdown()
    # and covered by the whole contract suite
    run_contract(cls, resources)


def test_the_registry_forgets_the_throwaway_op_afterwards():
    assert "flip_gain_test" not in registry.ops()


def test_two_ops_cannot_share_a_name():
    from sercorpus.augment.op import Op

    with pytest.raises(TypeError, match=r"op name 'gain' registered twice"):

        class AnotherGain(Op):  # noqa: F841
            name = "gain"
