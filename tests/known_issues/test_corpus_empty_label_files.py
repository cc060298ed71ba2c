"""Issue 10, item 13: an empty MOSI ``OpinionLevelSentiment.csv`` was reported as "is this the corpus root?"
instead of naming the empty file; an empty IEMOCAP EmoEvaluation file dropped its utterances as notes and
passed ``--strict``. Now the MOSI error names the file, and the IEMOCAP utterances are counted skips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sercorpus.core.errors import CorpusFormatError
from sercorpus.corpora.prepare import prepare
from sercorpus.synth.iemocap import write_iemocap
from sercorpus.synth.mosi import write_mosi


@pytest.fixture(scope="module")
def mosi(tmp_path_factory) -> Path:
    return write_mosi(tmp_path_factory.mktemp("mosi") / "root")


@pytest.fixture(scope="module")
def iemocap(tmp_path_factory) -> Path:
    return write_iemocap(tmp_path_factory.mktemp("iemocap") / "root")


@pytest.mark.parametrize("content", ["", "\n\n", "\r\n"], ids=["zero-bytes", "blank-lines", "crlf"])
def test_empty_mosi_label_file_is_named(mosi, tmp_path, content):
    root = Path(shutil.copytree(mosi, tmp_path / "root"))
    labels = root / "Raw" / "Labels" / "OpinionLevelSentiment.csv"
    labels.write_text(content)
    with pytest.raises(CorpusFormatError) as err:
        prepare("mosi", root, tmp_path / "m.jsonl")
    message = str(err.value)
    assert message.startswith(f"{labels}: empty label file")
    assert "is this the corpus root" not in message
    assert "--opt source=csd" in message  # the miniature also ships the .csd: say how to use it


def test_empty_iemocap_evaluation_file_is_a_counted_skip_per_utterance(iemocap, tmp_path):
    root = Path(shutil.copytree(iemocap, tmp_path / "root"))
    evaluation = root / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    folder = root / "Session1" / "sentences" / "wav" / "Ses01F_impro01"
    wavs = sorted(w for w in folder.glob("*.wav") if not w.name.startswith("._"))  # AppleDouble: not audio
    full, _ = prepare("iemocap", iemocap, tmp_path / "full.jsonl")
    evaluation.write_text("")
    records, report = prepare("iemocap", root, tmp_path / "m.jsonl")
    assert report.skip_counts() == {"empty-label-file": len(wavs)} and len(wavs) == 9
    assert {i.record for i in report.skipped} == {f"iemocap/{w.stem}" for w in wavs}
    assert all(i.file == str(evaluation) for i in report.skipped)
    assert not [n for n in report.notes if n.reason == "unlabelled-wav"]  # counted once, as skips
    assert len(records) == len(full) - len(wavs)
    with pytest.raises(
        CorpusFormatError, match=r"Ses01F_impro01\.txt: .*\[empty-label-file\] \(strict mode\)"
    ):
        prepare("iemocap", root, tmp_path / "strict.jsonl", strict=True)


def test_empty_evaluation_file_of_a_dialog_without_wavs_is_one_skip(iemocap, tmp_path):
    root = Path(shutil.copytree(iemocap, tmp_path / "root"))
    folder = root / "Session1" / "dialog" / "EmoEvaluation"
    (folder / "Ses01F_impro99.txt").write_text("% header comment only\n\n")
    _, report = prepare("iemocap", root, tmp_path / "m.jsonl")
    assert report.skip_counts() == {"empty-label-file": 1}
    assert report.skipped[0].file == str(folder / "Ses01F_impro99.txt") and report.skipped[0].record is None
