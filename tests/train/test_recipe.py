"""Bad recipes fail before training starts, naming the key or file; NaN stops with step and ids."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from sercorpus.core.manifest import read_manifest, write_manifest
from sercorpus.train.checkpoint import load_state
from sercorpus.train.errors import NonFiniteLossError, RecipeError
from sercorpus.train.recipe import load_recipe, recipe_from_dict
from sercorpus.train.run import train


def base(mini: Path) -> dict[str, Any]:
    msp = str(mini / "msp-podcast.parquet")
    return {
        "name": "bad-recipe-probe",
        "model": {"family": "cnn14", "width": 2, "head": {"hidden": 8}},
        "data": {
            "train": [{"path": msp, "split": "train"}],
            "dev": [{"path": msp, "split": "dev"}],
            "batch_size": 8,
        },
        "trainer": {"epochs": 1, "progress": False},
    }


def refused(raw: dict[str, Any], tmp_path: Path, match: str, overrides: list[str] | None = None) -> None:
    out = tmp_path / "run"
    with pytest.raises(RecipeError, match=match):
        train(recipe_from_dict(raw, overrides), out)
    assert not out.exists(), "a refused recipe must not create its run folder"


def with_(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    node = out
    *head, last = path.split(".")
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = value
    return out


def test_unknown_keys_and_wrong_types_name_the_key(mini: Path) -> None:
    raw = base(mini)
    with pytest.raises(RecipeError, match=r"^trainer\.epoch: unknown key; the keys of trainer are: .*epochs"):
        recipe_from_dict(with_(raw, "trainer.epoch", 3))
    with pytest.raises(RecipeError, match=r"^colour: unknown key; the top-level keys are"):
        recipe_from_dict(with_(raw, "colour", "red"))
    with pytest.raises(RecipeError, match=r"^optim\.lr: expected a number, got string 'fast'"):
        recipe_from_dict(with_(raw, "optim.lr", "fast"))
    with pytest.raises(RecipeError, match=r"^trainer\.epochs: expected an integer, got string 'two'"):
        recipe_from_dict(raw, ["trainer.epochs=two"])
    with pytest.raises(
        RecipeError, match=r"^model\.family: must be one of \['cnn14', 'ssl', 'tcgru'\], got 'rnn'"
    ):
        recipe_from_dict(with_(raw, "model.family", "rnn"))
    with pytest.raises(RecipeError, match=r"^data\.train\.0\.path: is required"):
        recipe_from_dict(with_(raw, "data.train", [{"split": "train"}]))
    with pytest.raises(RecipeError, match=r"^data\.augment\.rate: must be in \[0, 1\], got 1.5"):
        recipe_from_dict(raw, ["data.augment.rate=1.5", "data.augment.config=x.yaml"])
    with pytest.raises(RecipeError, match=r"^data\.train\.0\.path: \$\{nowhere\} is not defined in vars"):
        recipe_from_dict(with_(raw, "data.train.0.path", "${nowhere}/x.parquet"))


def test_overrides_vars_and_extends(mini: Path, tmp_path: Path) -> None:
    r = recipe_from_dict(base(mini), ["optim.lr=0.01", "data.train.0.split=dev", "tasks.dims=[arousal]"])
    assert r.optim.lr == 0.01 and r.data.train[0].split == "dev" and r.dims == ["arousal"]
    raw = with_(base(mini), "vars", {"fold": 3, "where": str(mini)})
    raw["data"]["train"][0].update(
        path="${where}/iemocap.parquet", make_split={"strategy": "loso", "fold": "${fold}"}
    )
    r = recipe_from_dict(raw)
    assert r.data.train[0].make_split.fold == 3 and r.data.train[0].path == f"{mini}/iemocap.parquet"
    (tmp_path / "base.yaml").write_text(json.dumps(base(mini)))
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: child\ntrainer: {epochs: 7}\n")
    child = load_recipe(tmp_path / "child.yaml")
    assert (child.name, child.trainer.epochs, child.trainer.progress, child.model.width) == (
        "child",
        7,
        False,
        2,
    )
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(RecipeError, match="extends itself"):
        load_recipe(tmp_path / "loop.yaml")


def test_missing_or_foreign_model_files_are_named(mini: Path, tmp_path: Path) -> None:
    raw = base(mini)
    refused(
        with_(raw, "model.pretrained", str(tmp_path / "Cnn14.pth")),
        tmp_path,
        r"model\.pretrained: .*Cnn14\.pth: checkpoint file not found",
    )
    (tmp_path / "junk.pth").write_bytes(b"\x00" * 64)
    refused(
        with_(raw, "model.pretrained", str(tmp_path / "junk.pth")),
        tmp_path,
        r"model\.pretrained: .*junk\.pth: not a readable PyTorch checkpoint",
    )
    torch.save({"model": {"fc.weight": torch.zeros(2)}}, tmp_path / "other.pth")
    refused(
        with_(raw, "model.pretrained", str(tmp_path / "other.pth")), tmp_path, "not a PANNs CNN14 checkpoint"
    )
    ssl = with_(raw, "model", {"family": "ssl", "encoder": {"pretrained": "facebook/wav2vec2-base"}})
    refused(
        ssl,
        tmp_path,
        r"model\.encoder\.pretrained: 'facebook/wav2vec2-base' does not exist locally and looks like a Hugging Face hub name",
    )
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "config.json").write_text("{}")
    ssl = with_(raw, "model", {"family": "ssl", "encoder": {"pretrained": str(tmp_path / "folder")}})
    refused(
        ssl, tmp_path, r"model\.encoder\.pretrained: .*folder: not a transformers checkpoint \(no weights"
    )


def test_data_that_cannot_serve_the_recipe_is_refused(mini: Path, tmp_path: Path) -> None:
    raw = base(mini)
    refused(with_(raw, "data.view", "7class"), tmp_path, r"data\.view: unknown label view '7class'")
    refused(
        with_(raw, "data.train.0.path", str(tmp_path / "nope.parquet")),
        tmp_path,
        r"data\.train\.0\.path: .*nope\.parquet: not found",
    )
    iemocap = str(mini / "iemocap.parquet")
    empty = with_(raw, "data.dev", [{"path": iemocap, "split": "dev"}])
    refused(
        empty,
        tmp_path,
        r"data\.dev\.0: .*iemocap\.parquet: no records left \(split='dev'.*splits present: \(none\) 90",
    )
    crema = {"path": str(mini / "crema-d.parquet"), "make_split": {"strategy": "random", "seed": 0}}
    no_dims = with_(
        with_(raw, "data.dev", [{**crema, "split": "dev"}]),
        "tasks",
        {"categories": True, "dims": ["arousal"]},
    )
    refused(
        no_dims,
        tmp_path,
        r"tasks\.dims: arousal: only 0 record\(s\) of data\.dev \(.*crema-d\.parquet\) have it",
    )
    leak = with_(raw, "data.dev", [{"path": str(mini / "msp-podcast.parquet"), "split": "train"}])
    refused(leak, tmp_path, r"data\.dev: 122 sample\(s\) are also in data\.train")
    # a corpus whose labels all fall outside the view
    iemo = read_manifest(mini / "iemocap.parquet")
    frustrated = [
        u.replace(votes={"frustrated": 2.0}, soft_label={"frustrated": 1.0})
        for u in iemo.records
        if u.label == "frustrated"
    ]
    write_manifest(tmp_path / "frustrated.parquet", frustrated, iemo.roots)
    off_view = with_(raw, "data.train", [{"path": str(tmp_path / "frustrated.parquet")}])
    refused(
        off_view,
        tmp_path,
        r"data\.view: view '4class' \(neutral, happy, sad, angry\) gets no class label or in-view vote from any of the 10 training records",
    )
    # shards built for another view
    shards = tmp_path / "shards"
    shards.mkdir()
    shutil.copy(mini / "msp-podcast.parquet", shards / "manifest.parquet")
    (shards / "index.json").write_text(
        json.dumps({"view": "msp8", "sample_rate": 16000, "format": "parquet", "shards": []})
    )
    refused(
        with_(raw, "data.train.0.path", str(shards)),
        tmp_path,
        r"data\.view: '4class' cannot be served by .*shards \(data\.train\.0\): its shards were built for view 'msp8'",
    )
    scrambled = with_(with_(raw, "data.train.0.path", str(shards)), "data.train.0.scramble", ["neutral:sad"])
    refused(scrambled, tmp_path, r"data\.train\.0\.scramble: .*shards cannot be scrambled at training time")


def test_nan_loss_stops_with_step_and_ids_and_keeps_the_last_good_checkpoint(
    mini: Path, tmp_path: Path
) -> None:
    raw = with_(base(mini), "trainer", {"epochs": 1, "checkpoint_every": 2, "progress": False})
    holder: dict[str, Any] = {}

    def poison(step: int) -> None:  # after step 3 a weight turns NaN, as in a diverging run
        if step == 3:
            model = holder["model"]
            with torch.no_grad():
                model.fc1.weight.fill_(float("nan"))

    import sercorpus.train.run as run_module

    real = run_module.build_audio_model

    def capture(*args: Any, **kwargs: Any) -> Any:
        holder["model"] = real(*args, **kwargs)
        return holder["model"]

    run_module.build_audio_model = capture  # type: ignore[assignment]
    try:
        with pytest.raises(
            NonFiniteLossError, match=r"non-finite loss at optimiser step 4, batch ids \[msp-podcast/"
        ) as err:
            train(recipe_from_dict(raw), tmp_path / "run", on_step=poison)
    finally:
        run_module.build_audio_model = real  # type: ignore[assignment]
    assert err.value.step == 4 and len(err.value.ids) == 8
    assert err.value.checkpoint is not None and err.value.checkpoint.endswith("step-00000002.pt")
    state = load_state(Path(err.value.checkpoint))
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())
    assert not (tmp_path / "run" / "checkpoints" / "step-00000004.pt").exists()
