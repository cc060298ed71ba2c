"""The predictions Parquet table: byte-identical round trips, determinism, atomic umask-honouring writes,
and a reader that rejects every malformed table with a message naming the problem."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sercorpus.evaluate import (
    EvaluationError,
    make_predictions,
    read_predictions,
    to_arrow,
    write_predictions,
)
from sercorpus.evaluate.predictions import METADATA_KEY

CLASSES = ["neutral", "happy", "sad"]


def _preds(order: list[int] | None = None):
    rows = {
        "ids": ["u3", "u1", "u2", "u4"],
        "probabilities": [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [1 / 3, 1 / 3, 1 / 3], [0.1, 0.1, 0.8]],
        "label": ["happy", "neutral", None, "sad"],
        "speaker": ["s1", "s1", "s2", None],
        "gender": ["female", "female", "male", None],
        "split": ["test"] * 4,
        "soft_label": [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], None, [0.0, 0.25, 0.75]],
        "arousal_t": [0.2, None, 0.5, 0.9],
        "arousal_p": [0.3, 0.4, 0.5, 0.7],
    }
    idx = order or list(range(4))
    pick = {k: [v[i] for i in idx] for k, v in rows.items()}
    return make_predictions(
        pick["ids"], "iemocap", probabilities=pick["probabilities"], classes=CLASSES, label=pick["label"],
        speaker=pick["speaker"], gender=pick["gender"], split=pick["split"], label_view="three",
        soft_label=pick["soft_label"], dimensions={"arousal": (pick["arousal_t"], pick["arousal_p"])},
    )  # fmt: skip


def test_round_trip_is_byte_identical_and_order_independent(tmp_path: Path) -> None:
    first = write_predictions(tmp_path / "a.parquet", _preds())
    back = read_predictions(first)
    second = write_predictions(tmp_path / "b.parquet", back)
    shuffled = write_predictions(tmp_path / "c.parquet", _preds([2, 0, 3, 1]))
    assert first.read_bytes() == second.read_bytes() == shuffled.read_bytes()
    assert back.ids == ("u1", "u2", "u3", "u4")
    assert back.label == ("neutral", None, "happy", "sad")
    assert back.classes == tuple(CLASSES) and back.label_view == "three" and back.top_k == 3
    assert np.isnan(back.soft_label[1]).all() and back.soft_label[3].tolist() == [0.0, 0.25, 0.75]
    assert np.isnan(back.dimensions["arousal"].truth[0])
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary sibling left behind


def test_schema_metadata_and_columns(tmp_path: Path) -> None:
    path = write_predictions(tmp_path / "p.parquet", _preds())
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    assert meta == {
        "classes": CLASSES, "dimensions": ["arousal"], "format": "sercorpus.predictions",
        "label_view": "three", "top_k": 3, "version": 1,
    }  # fmt: skip
    assert table.column_names == [
        "id", "corpus", "speaker", "gender", "split", "label", "probabilities", "top_k", "soft_label",
        "arousal_true", "arousal_pred",
    ]  # fmt: skip
    assert table.schema.field("probabilities").type.value_type == pa.float32()
    assert table.column("top_k").to_pylist()[0] == ["neutral", "happy", "sad"]
    assert table.column("top_k").to_pylist()[1] == ["neutral", "happy", "sad"]  # full tie: class order
    assert table.column("arousal_true").to_pylist()[0] is None  # null, not NaN
    assert b"created_at" not in path.read_bytes()


def test_write_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_predictions(tmp_path / "p.parquet", _preds())
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def _rewrite(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


def test_reader_rejects_tampered_tables(tmp_path: Path) -> None:
    table = to_arrow(_preds())
    meta = dict(table.schema.metadata)

    bad_topk = table.set_column(
        7, "top_k", pa.array([["sad", "happy", "neutral"]] * 4, pa.list_(pa.string()))
    )
    with pytest.raises(EvaluationError, match="row 0 .id 'u1'. top_k .* disagrees with its probabilities"):
        read_predictions(_rewrite(tmp_path / "t1.parquet", bad_topk))

    probs = table.column("probabilities").to_pylist()
    probs[2] = [float("nan"), 0.5, 0.5]
    nan_table = table.set_column(6, "probabilities", pa.array(probs, pa.list_(pa.float32())))
    with pytest.raises(EvaluationError, match="row 2 .id 'u3'. contains NaN"):
        read_predictions(_rewrite(tmp_path / "t2.parquet", nan_table))

    with pytest.raises(EvaluationError, match="no sercorpus.predictions metadata"):
        read_predictions(_rewrite(tmp_path / "t3.parquet", table.replace_schema_metadata({})))

    extra = table.append_column("logits", pa.array([1.0] * 4))
    with pytest.raises(EvaluationError, match="unexpected \\['logits'\\]"):
        read_predictions(_rewrite(tmp_path / "t4.parquet", extra))

    labels = table.column("label").to_pylist()
    labels[0] = "bored"
    bad_label = table.set_column(5, "label", pa.array(labels, pa.string()))
    with pytest.raises(EvaluationError, match="label 'bored', which is not in the class list"):
        read_predictions(_rewrite(tmp_path / "t5.parquet", bad_label))

    unsorted = table.take([1, 0, 2, 3])
    with pytest.raises(EvaluationError, match="not sorted by id"):
        read_predictions(_rewrite(tmp_path / "t6.parquet", unsorted))

    new_meta = {**meta, METADATA_KEY: json.dumps({**json.loads(meta[METADATA_KEY]), "version": 99}).encode()}
    with pytest.raises(EvaluationError, match="version 99"):
        read_predictions(_rewrite(tmp_path / "t7.parquet", table.replace_schema_metadata(new_meta)))

    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(EvaluationError, match="not a readable Parquet file"):
        read_predictions(tmp_path / "junk.parquet")
    with pytest.raises(FileNotFoundError):
        read_predictions(tmp_path / "missing.parquet")


def test_make_predictions_rejects_bad_input() -> None:
    probs = [[0.5, 0.5, 0.0], [0.2, 0.2, 0.6]]
    with pytest.raises(EvaluationError, match="id 'a' appears more than once"):
        make_predictions(["a", "a"], "iemocap", probabilities=probs, classes=CLASSES)
    with pytest.raises(EvaluationError, match="empty"):
        make_predictions([], "iemocap", probabilities=np.zeros((0, 3)), classes=CLASSES)
    with pytest.raises(EvaluationError, match="'label' has 1 rows, but there are 2 ids"):
        make_predictions(["a", "b"], "iemocap", probabilities=probs, classes=CLASSES, label=["sad"])
    with pytest.raises(EvaluationError, match="id 'b'. sums to 1.1"):
        make_predictions(
            ["a", "b"], "iemocap", probabilities=[[0.5, 0.5, 0], [0.5, 0.5, 0.1]], classes=CLASSES
        )
    with pytest.raises(EvaluationError, match="gender must be one of"):
        make_predictions(["a", "b"], "iemocap", probabilities=probs, classes=CLASSES, gender=["f", None])
    with pytest.raises(EvaluationError, match="3 columns, but the class list has 2"):
        make_predictions(["a", "b"], "iemocap", probabilities=probs, classes=["x", "y"])
    with pytest.raises(EvaluationError, match="neither class probabilities nor dimensional"):
        make_predictions(["a"], "iemocap")
    with pytest.raises(EvaluationError, match="soft_label: row 1 .id 'b'. is not a distribution"):
        make_predictions(["a", "b"], "iemocap", probabilities=probs, classes=CLASSES,
                         soft_label=[None, [0.5, 0.6, 0.0]])  # fmt: skip
    with pytest.raises(EvaluationError, match="unknown dimension 'joy'"):
        make_predictions(["a"], "iemocap", dimensions={"joy": ([0.1], [0.2])})


def test_dimensional_only_table_round_trips(tmp_path: Path) -> None:
    preds = make_predictions(["b", "a"], "msp_podcast", dimensions={"valence": ([0.1, 0.9], [0.2, None])})
    path = write_predictions(tmp_path / "d.parquet", preds)
    back = read_predictions(path)
    assert back.probabilities is None and back.top_k == 0 and back.ids == ("a", "b")
    assert np.isnan(back.dimensions["valence"].prediction[0])  # id "a" had no prediction
    assert write_predictions(tmp_path / "e.parquet", back).read_bytes() == path.read_bytes()
