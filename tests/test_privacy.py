"""Privacy: keyed pseudonyms, no raw ids or secrets in outputs, redaction, no transcripts, no network."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sercorpus.cli import app
from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.manifest import read_manifest
from sercorpus.core.privacy import (
    DEFAULT_KEY_ENV,
    KEY_FILE,
    PrivacyError,
    Pseudonymiser,
    Redactor,
    read_redaction_list,
    resolve_key,
)
from sercorpus.corpora.prepare import prepare, report_path_for
from sercorpus.synth.calls import plan_calls, write_calls
from sercorpus.synth.custom import write_custom_csv, write_custom_folder

KEY = "unit-test-key-0123456789abcdef"
OTHER_KEY = "another-key-fedcba9876543210"
RAW_IDS = sorted(
    {t.call_id for p in plan_calls(0) for t in p.turns} | {t.speaker for p in plan_calls(0) for t in p.turns}
)


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_calls(tmp_path_factory.mktemp("privacy") / "root", seed=0)


@pytest.fixture()
def root(mini, tmp_path) -> Path:
    return Path(shutil.copytree(mini, tmp_path / "root"))


def output_bytes(out: Path) -> bytes:
    return out.read_bytes() + report_path_for(out).read_bytes()


def assert_absent(blob: bytes, words: list[str]) -> None:
    low = blob.lower()
    leaked = [w for w in words if w.lower().encode() in low]
    assert not leaked, f"found in outputs: {leaked}"


# --------------------------------------------------------------------------------------------- pieces
def test_pseudonyms_are_keyed_stable_and_kind_specific():
    a, again, other = (
        Pseudonymiser(KEY.encode()),
        Pseudonymiser(KEY.encode()),
        Pseudonymiser(OTHER_KEY.encode()),
    )
    assert a("call", "INC0012345") == again("call", "INC0012345")
    assert a("call", "INC0012345") != other("call", "INC0012345")
    assert a("call", "X") != a("speaker", "X")
    assert a("call", "INC0012345").startswith("call-") and len(a("call", "INC0012345")) == len("call-") + 12
    assert Pseudonymiser(None)("call", "INC0012345") == "INC0012345"


def test_key_sources_in_order(tmp_path, monkeypatch):
    monkeypatch.delenv(DEFAULT_KEY_ENV, raising=False)
    with pytest.raises(PrivacyError, match="no pseudonymisation key: export SERCORPUS_KEY"):
        resolve_key(root=tmp_path)
    (tmp_path / KEY_FILE).write_text("from-file\n")
    assert resolve_key(root=tmp_path) == b"from-file"
    monkeypatch.setenv(DEFAULT_KEY_ENV, "from-env")
    assert resolve_key(root=tmp_path) == b"from-env"
    assert resolve_key("explicit", root=tmp_path) == b"explicit"
    with pytest.raises(PrivacyError, match="MY_KEY \\(from --key-env\\) is not set"):
        resolve_key(key_env="MY_KEY", root=tmp_path)
    monkeypatch.setenv("MY_KEY", "named")
    assert resolve_key(key_env="MY_KEY", root=tmp_path) == b"named"
    with pytest.raises(PrivacyError, match="empty key"):
        resolve_key("")


def test_redactor_whole_words_phrases_case_insensitive(tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("# people\nMaria\nemployee   number\n\nC-20417\n")
    assert read_redaction_list(terms) == ["Maria", "employee   number", "C-20417"]
    redact = Redactor(read_redaction_list(terms))
    text = "MARIA gave her Employee\nNumber; mariachi band, id c-20417."
    assert redact(text) == "[REDACTED] gave her [REDACTED]; mariachi band, id [REDACTED]."
    assert redact.replacements == 3
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(CorpusFormatError, match="empty.txt: redaction list holds no terms"):
        read_redaction_list(tmp_path / "empty.txt")


# ------------------------------------------------------------------------------------------ prepared
def test_raw_ids_and_key_appear_nowhere_in_outputs(mini, tmp_path):
    for suffix in (".jsonl", ".parquet"):
        out = tmp_path / f"calls{suffix}"
        records, _ = prepare("calls", mini, out, options={"key": KEY})
        assert_absent(output_bytes(out), [*RAW_IDS, KEY])
    manifest = read_manifest(tmp_path / "calls.jsonl")
    assert manifest.meta["options"] == {"key": "(secret, not stored)"}
    assert all(
        u.group.startswith("call-") and u.speaker.startswith(("calls/speaker-", "emo-mini/speaker-"))
        for u in manifest.records
    )
    assert all(a.rater.startswith("rater-") for u in manifest.records for a in u.annotations)
    # the ticket number a customer reads out is redacted from the transcript automatically
    quoted = [u.transcript for u in manifest.records if u.transcript and "ticket" in u.transcript]
    assert quoted == ["Hello, I am calling about ticket [REDACTED], my mailbox is full again."]


def test_pseudonyms_stable_for_one_key_and_different_for_another(mini, tmp_path):
    prepare("calls", mini, tmp_path / "a.jsonl", options={"key": KEY})
    prepare("calls", mini, tmp_path / "b.jsonl", options={"key": KEY})
    prepare("calls", mini, tmp_path / "c.jsonl", options={"key": OTHER_KEY})
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    ids_a = [u.id for u in read_manifest(tmp_path / "a.jsonl").records]
    ids_c = [u.id for u in read_manifest(tmp_path / "c.jsonl").records]
    assert len(ids_a) == len(ids_c) == 25 and not set(ids_a) & set(ids_c)
    assert_absent((tmp_path / "c.jsonl").read_bytes(), [i.split("/")[1] for i in ids_a])


def test_file_names_with_raw_ids_warn_refuse_or_link(root, tmp_path):
    plan = next(p for p in plan_calls(0) if p.timing == "table")
    named = f"recordings/{plan.call_id}.wav"
    (root / plan.audio).rename(root / named)
    table = root / "segments.csv"
    table.write_text(table.read_text().replace(plan.audio, named))
    out = tmp_path / "warn.jsonl"
    _, report = prepare("calls", root, out, options={"key": KEY})
    assert report.counts["privacy:file_names_with_raw_ids"] == 1
    note = next(n for n in report.notes if n.reason == "file-name-reveals-id")
    assert "link_dir" in note.detail
    assert_absent(report_path_for(out).read_bytes(), RAW_IDS)
    audio_paths = {u.audio_path for u in read_manifest(out).records}
    assert named in audio_paths  # documented: audio_path is the real file name
    with pytest.raises(CorpusFormatError, match="contains a raw call or speaker id"):
        prepare("calls", root, tmp_path / "refuse.jsonl", options={"key": KEY, "id_in_filename": "error"})
    linked = tmp_path / "linked.jsonl"
    records, report = prepare("calls", root, linked, options={"key": KEY, "link_dir": ".pseudonymised"})
    assert_absent(output_bytes(linked), RAW_IDS)
    assert "privacy:file_names_with_raw_ids" not in report.counts
    for utt in records:
        link = root / utt.audio_path
        assert utt.audio_path.startswith(".pseudonymised/audio-") and link.is_symlink()
        assert not os.path.isabs(os.readlink(link))
    target = next(root / u.audio_path for u in records if u.extra["line"] == 2 + 18)
    assert target.resolve() == (root / named).resolve()
    with pytest.raises(CorpusFormatError, match="link_dir must lie inside the corpus root"):
        prepare("calls", root, tmp_path / "x.jsonl", options={"key": KEY, "link_dir": "../elsewhere"})


def test_redaction_list_and_no_transcripts(mini, tmp_path):
    terms = tmp_path / "names.txt"
    terms.write_text("Maria\nTom\nemployee number\n20417\n")
    out = tmp_path / "red.jsonl"
    records, report = prepare("calls", mini, out, options={"key": KEY, "redact": str(terms)})
    texts = [u.transcript for u in records if u.transcript]
    assert "Service desk, this is [REDACTED], how can I help?" in texts
    assert "I am sorry to hear that. Can you give me your [REDACTED]?" in texts
    assert not any("Maria" in t or "20417" in t for t in texts)
    assert (
        report.counts["transcripts:redactions"] == 7
    )  # Maria x3, Tom, employee number, 20417, the ticket id
    report_text = report_path_for(out).read_text()
    assert "Service desk" not in report_text and "mailbox" not in report_text  # no transcript text, ever
    assert_absent(output_bytes(out), ["names.txt:"])
    out = tmp_path / "none.jsonl"
    records, report = prepare("calls", mini, out, options={"key": KEY, "no_transcripts": True})
    assert all(u.transcript is None for u in records) and report.counts["transcripts:dropped"] == 25
    assert_absent(output_bytes(out), ["Service desk", "mailbox", "password"])


def test_opting_out_keeps_raw_ids_and_says_so(mini, tmp_path):
    records, report = prepare("calls", mini, tmp_path / "raw.jsonl", options={"pseudonymise": False})
    assert {u.group for u in records} == {"INC0012345", "INC0012346", "INC0012347"}
    assert any(n.reason == "pseudonymisation-off" for n in report.notes)
    with pytest.raises(ValueError, match="link_dir writes pseudonymised links"):
        prepare("calls", mini, tmp_path / "x.jsonl", options={"pseudonymise": False, "link_dir": "l"})


def test_no_key_anywhere_refuses(root, tmp_path, monkeypatch):
    monkeypatch.delenv(DEFAULT_KEY_ENV, raising=False)
    (root / KEY_FILE).unlink()
    with pytest.raises(PrivacyError, match="no pseudonymisation key"):
        prepare("calls", root, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()


def test_generic_loader_pseudonymises_speakers_when_given_a_key(tmp_path):
    root = write_custom_csv(tmp_path / "csv")
    records, _ = prepare("csv", root, tmp_path / "csv.jsonl", options={"key": KEY, "no_transcripts": True})
    assert all(
        u.speaker.startswith(("calls/speaker-", "emo-mini/speaker-")) and u.transcript is None
        for u in records
    )
    assert_absent((tmp_path / "csv.jsonl").read_bytes(), ['"sp01"', KEY])


# ----------------------------------------------------------------------------------------------- CLI
def test_cli_privacy_flags(mini, tmp_path):
    runner = CliRunner()
    terms = tmp_path / "t.txt"
    terms.write_text("Maria\n")
    out = tmp_path / "cli.jsonl"
    result = runner.invoke(
        app,
        ["prepare", "calls", str(mini), "-o", str(out), "--key-env", "CALLS_SECRET", "--redact", str(terms)],
        env={"CALLS_SECRET": OTHER_KEY},
    )
    assert result.exit_code == 0, result.output
    meta = json.loads(out.read_text().splitlines()[0])["sercorpus_manifest"]["meta"]
    assert meta["options"] == {"key_env": "CALLS_SECRET", "redact": str(terms.resolve())}
    assert_absent(output_bytes(out), [OTHER_KEY, *RAW_IDS])
    for name in ("INC0012345", "Maria"):
        assert name not in result.output
    result = runner.invoke(app, ["prepare", "calls", str(mini), "-o", str(out), "--key-env", "UNSET_VAR_X"])
    assert result.exit_code == 1 and "UNSET_VAR_X (from --key-env) is not set" in result.output
    result = runner.invoke(
        app,
        ["prepare", "calls", str(mini), "-o", str(out), "--no-transcripts", "--opt", "no_transcripts=false"],
    )
    assert result.exit_code == 1 and "given both as a flag and as --opt" in result.output
    esc = tmp_path / "esc"
    assert runner.invoke(app, ["synth", "esc50", str(esc)]).exit_code == 0
    result = runner.invoke(
        app, ["prepare", "esc50", str(esc), "-o", str(tmp_path / "e.jsonl"), "--no-transcripts"]
    )
    assert result.exit_code == 1 and "does not take option(s) ['no_transcripts']" in result.output


# ------------------------------------------------------------------------------------------- offline
def test_prepare_works_with_networking_disabled(mini, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sercorpus tried to open a network connection")

    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    folder = write_custom_folder(tmp_path / "folder")
    table = write_custom_csv(tmp_path / "csv")
    assert len(prepare("calls", mini, tmp_path / "calls.parquet", options={"key": KEY})[0]) == 25
    assert len(prepare("folder", folder, tmp_path / "folder.parquet")[0]) == 28
    assert len(prepare("csv", table, tmp_path / "csv.parquet")[0]) == 24
    with open(tmp_path / "calls.parquet.report.json") as handle:
        assert json.load(handle)["counts"]["agreement:items"] == 25
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("example.org", 80))
