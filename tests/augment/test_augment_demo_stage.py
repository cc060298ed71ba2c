"""The demo stage augments a few utterances toward IEMOCAP-like conditions and reports what it measured."""

from __future__ import annotations

import json

import soundfile as sf

from sercorpus.core.manifest import write_manifest
from sercorpus.core.schema import Utterance
from sercorpus.demo.augment import stage_augment
from sercorpus.demo.context import DemoContext
from sercorpus.demo.run import STAGES


def test_stage_writes_outputs_and_summary(tmp_path, esc50_mini, speech_factory):
    corpus = tmp_path / "msp"
    corpus.mkdir()
    records = []
    for i in range(5):
        sf.write(corpus / f"u{i}.wav", speech_factory(1.0 + 0.2 * i, seed=i), 16000)
        records.append(
            Utterance(
                id=f"msp-podcast/u{i}",
                corpus="msp-podcast",
                audio_path=f"u{i}.wav",
                duration=1.0 + 0.2 * i,
                sample_rate=16000,
                num_channels=1,
            )
        )
    manifest = write_manifest(tmp_path / "msp.parquet", records, {"msp-podcast": corpus})
    ctx = DemoContext(
        out_dir=tmp_path / "demo", seed=3, roots={"esc50": esc50_mini}, manifests={"msp-podcast": manifest}
    )
    lines = stage_augment(ctx)
    assert (
        lines[0].startswith("4 utterances of msp") and "reverb T60" in lines[1] and "pink noise" in lines[2]
    )
    outputs = sorted((ctx.out_dir / "augment").glob("*.aug*.json"))
    assert len(outputs) == 4
    ops = [o["op"] for o in json.loads(outputs[0].read_text())["ops"]["ops"]]
    assert ops == ["synthetic_reverb", "background_noise", "pink_noise"]
    assert stage_augment(ctx) == lines, "seeded and resumable: a rerun reports the same"
    assert stage_augment in STAGES
