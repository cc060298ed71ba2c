"""ESC-50 (v2.0.0 flat WAV layout): the background-noise bank for augmentation.

Reads ``meta/esc50.csv`` with either header: the current one
(``filename,fold,target,category,esc10,src_file,take``) or the legacy 2016 one
(``filename,fold,category,category_name,esc10,src_file,take``, where ``category`` holds the integer).
Clips carry no emotion, so records have no label or votes; ``fold`` becomes ``split`` (``fold1`` ...) and the
Freesound source becomes ``group`` (fragments of one source always share a fold).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance, qualified
from sercorpus.core.textfile import read_text_lines
from sercorpus.corpora.common import audio_fields, check_audio
from sercorpus.corpora.options import NoOptions, loader

CORPUS = "esc50"
SAMPLE_RATE = 44100
MAJOR_GROUPS = ("animals", "natural", "human", "domestic", "urban")  # target // 10
_CURRENT = ["filename", "fold", "target", "category", "esc10", "src_file", "take"]
_LEGACY = ["filename", "fold", "category", "category_name", "esc10", "src_file", "take"]


@loader(CORPUS, NoOptions)
def load_esc50(root: Path, report: PrepareReport, options: NoOptions) -> Iterator[Utterance]:
    """Yield one record per clip listed in ``meta/esc50.csv`` whose audio is present and sane."""
    meta = root / "meta" / "esc50.csv"
    if not meta.is_file():
        legacy = root / "esc50.csv"
        if not legacy.is_file():
            raise CorpusFormatError(
                meta, "ESC-50 metadata not found (expected meta/esc50.csv under the root)"
            )
        meta = legacy
    lines = read_text_lines(meta)
    rows = csv.reader(lines)
    header = next(rows, None)
    if header == _CURRENT:
        target_col, name_col = "target", "category"
    elif header == _LEGACY:
        target_col, name_col = "category", "category_name"
    else:
        raise CorpusFormatError(meta, f"unexpected header {header}; expected {_CURRENT} or {_LEGACY}", line=1)
    for line_no, values in enumerate(rows, start=2):
        if not values:
            continue
        report.read += 1
        if len(values) != len(header):
            report.skip("malformed-line", meta, f"expected {len(header)} fields, got {len(values)}", line_no)
            continue
        row = dict(zip(header, values, strict=True))
        try:
            fold, target = int(row["fold"]), int(row[target_col])
        except ValueError:
            report.skip("malformed-line", meta, f"fold/target not integers: {values}", line_no)
            continue
        if not 0 <= target < 50:
            report.skip("unknown-label", meta, f"target {target} outside 0..49", line_no)
            continue
        native = row["filename"].removesuffix(".wav")
        utt_id = qualified(CORPUS, native)
        rel = f"audio/{row['filename']}"
        info = check_audio(root, rel, report, utt_id, expected_channels=1, label_file=meta, line=line_no)
        if info is None:
            continue
        if info.sample_rate != SAMPLE_RATE:
            report.note(
                "unexpected-sample-rate",
                root / rel,
                f"{info.sample_rate} Hz (ESC-50 ships 44100 Hz)",
                record=utt_id,
            )
        report.counts[f"category:{row[name_col]}"] += 1
        yield Utterance(
            id=utt_id,
            corpus=CORPUS,
            **audio_fields(rel, info),
            split=f"fold{fold}",
            group=qualified(CORPUS, row["src_file"]),
            extra={
                "category": row[name_col],
                "target": target,
                "major_group": target // 10,
                "major_group_name": MAJOR_GROUPS[target // 10],
                "fold": fold,
                "esc10": row["esc10"].strip().lower() == "true",
                "src_file": row["src_file"],
                "take": row["take"],
            },
        )
