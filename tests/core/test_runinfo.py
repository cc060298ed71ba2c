"""Output folders record their settings: same settings resume, other settings are refused (issue 10, item 2)."""

from __future__ import annotations

import json

import pytest

from sercorpus.core.runinfo import RUN_FILE, SettingsMismatch, claim_output_dir, settings_digest


def test_new_folder_gets_a_run_record(tmp_path):
    out = tmp_path / "out"
    info = claim_output_dir(out, "shard", {"seed": 7, "aug": {"copies": 2}})
    record = json.loads((out / RUN_FILE).read_text())
    assert record == {"tool": "shard", "digest": info.digest, "settings": {"aug": {"copies": 2}, "seed": 7}}


def test_same_settings_resume_and_keep_files(tmp_path):
    claim_output_dir(tmp_path / "o", "shard", {"seed": 7})
    (tmp_path / "o" / "part.bin").write_bytes(b"x")
    claim_output_dir(tmp_path / "o", "shard", {"seed": 7})
    assert (tmp_path / "o" / "part.bin").read_bytes() == b"x"


def test_other_settings_are_refused_naming_each_difference(tmp_path):
    claim_output_dir(tmp_path / "o", "shard", {"seed": 7, "aug": {"copies": 2, "rate": 1.0}})
    with pytest.raises(SettingsMismatch, match=r"aug\.copies: 2 -> 3; seed: 7 -> 8"):
        claim_output_dir(tmp_path / "o", "shard", {"seed": 8, "aug": {"copies": 3, "rate": 1.0}})


def test_overwrite_empties_a_folder_of_the_same_tool(tmp_path):
    claim_output_dir(tmp_path / "o", "shard", {"seed": 7})
    (tmp_path / "o" / "old.bin").write_bytes(b"x")
    claim_output_dir(tmp_path / "o", "shard", {"seed": 8}, overwrite=True)
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [RUN_FILE]


def test_unrelated_non_empty_folder_is_never_wiped(tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "thesis.tex").write_text("precious")
    with pytest.raises(SettingsMismatch, match="holds no RUN.json"):
        claim_output_dir(tmp_path / "o", "shard", {"seed": 7}, overwrite=True)
    assert (tmp_path / "o" / "thesis.tex").read_text() == "precious"


def test_output_path_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(SettingsMismatch, match="is not a folder"):
        claim_output_dir(tmp_path / "f", "shard", {})


def test_digest_ignores_key_order():
    assert settings_digest({"a": 1, "b": {"c": 2, "d": 3}}) == settings_digest(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )
