"""The loader contract, run over the corpus registry: a corpus registered in ``sercorpus.corpora.CORPORA`` is
covered here the day it is added, with no edit of this file.

For every corpus: its miniature prepares; ``--strict`` turns skips (its own, and a planted unreadable file)
into errors; an empty root and a missing root are clear errors naming the root; reruns are byte-identical; and
the miniature and its manifest match pinned digests, so "reproducible" holds across runs and versions, not
only within one run. A new corpus has no pinned digest yet: the test says what to pin
(``SERCORPUS_PIN_GOLDEN=1 pytest tests/corpora/test_corpus_contract.py`` rewrites the file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.manifest import JSONL_HEADER_KEY, read_manifest
from sercorpus.core.privacy import DEFAULT_KEY_ENV
from sercorpus.core.report import PrepareReport
from sercorpus.core.schema import Utterance
from sercorpus.corpora import CORPORA
from sercorpus.corpora.options import Loader, LoaderOptions
from sercorpus.corpora.prepare import prepare, report_path_for

NAMES = sorted(CORPORA)
GOLDEN_FILE = Path(__file__).with_name("golden_digests.json")
PIN_ENV = "SERCORPUS_PIN_GOLDEN"
SEED = 0


@dataclass
class Prepared:
    name: str
    root: Path
    out: Path
    records: list[Utterance]
    report: PrepareReport


@pytest.fixture(scope="module", autouse=True)
def no_user_key():
    """A key in the user's environment would change the calls pseudonyms (and so the pinned digests)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DEFAULT_KEY_ENV, raising=False)
        yield


@pytest.fixture(scope="module", params=NAMES)
def prepared(request, tmp_path_factory) -> Prepared:
    name = request.param
    base = tmp_path_factory.mktemp(name)
    root = Path(CORPORA[name].writer_function()(base / "root", seed=SEED))
    out = base / "manifest.jsonl"
    records, report = prepare(name, root, out)
    return Prepared(name, root, out, records, report)


# ------------------------------------------------------------------------------------------ declaration
@pytest.mark.parametrize("name", NAMES)
def test_loader_declares_typed_options(name):
    loader = CORPORA[name].load_function()
    assert isinstance(loader, Loader) and loader.corpus == name
    assert dataclasses.is_dataclass(loader.options) and issubclass(loader.options, LoaderOptions)
    assert loader.options.__dataclass_params__.frozen  # type: ignore[attr-defined]
    for info in loader.options.describe():
        assert info.help, f"{name} option {info.name} has no help text"
        assert info.type, f"{name} option {info.name} has no type"
    with pytest.raises(ValueError, match=rf"{name} loader does not take option\(s\) \['no_such_option'\]"):
        loader.options.coerce({"no_such_option": "1"}, name)


# ------------------------------------------------------------------------------------------- prepares
def test_miniature_prepares(prepared):
    assert prepared.records, f"{prepared.name}: miniature gave no records"
    assert prepared.report.written == len(prepared.records)
    assert prepared.report.read >= len(prepared.records)
    manifest = read_manifest(prepared.out)  # validates every record
    assert [u.id for u in manifest.records] == sorted(u.id for u in prepared.records)
    report = json.loads(report_path_for(prepared.out).read_text(encoding="utf-8"))
    assert report["corpus"] == prepared.name and report["written"] == len(prepared.records)
    for utt in manifest.records:
        assert manifest.audio_file(utt).is_file()


def test_strict_turns_skips_into_errors(prepared, tmp_path):
    """The miniature's own skips (where it has any), and a planted unreadable file, fail ``--strict``."""
    if prepared.report.skipped:
        first = prepared.report.skipped[0]
        with pytest.raises(CorpusFormatError, match=rf"\[{first.reason}\] \(strict mode\)"):
            prepare(prepared.name, prepared.root, tmp_path / "own.jsonl", strict=True)
        assert not (tmp_path / "own.jsonl").exists()
    root = Path(shutil.copytree(prepared.root, tmp_path / "root", symlinks=True))
    victim = min(prepared.records, key=lambda u: u.id)
    (root / victim.audio_path).write_bytes(b"RIFF\x04\x00\x00\x00WAVE")  # a header with no chunks
    records, report = prepare(prepared.name, root, tmp_path / "lenient.jsonl")
    assert victim.id not in {u.id for u in records}
    assert report.skip_counts()["unreadable-audio"] >= 1
    with pytest.raises(CorpusFormatError, match=r"\[unreadable-audio\] \(strict mode\)"):
        prepare(prepared.name, root, tmp_path / "strict.jsonl", strict=True)
    assert not (tmp_path / "strict.jsonl").exists()


def test_empty_root_is_a_clear_error(prepared, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusFormatError) as err:
        prepare(prepared.name, empty, tmp_path / "x.jsonl")
    assert str(empty) in str(err.value), f"{prepared.name}: the message should name the root: {err.value}"
    assert not (tmp_path / "x.jsonl").exists()


def test_missing_root_is_a_clear_error(prepared, tmp_path):
    missing = tmp_path / "no" / "such" / "root"
    with pytest.raises(CorpusFormatError, match="corpus root does not exist") as err:
        prepare(prepared.name, missing, tmp_path / "x.jsonl")
    assert str(missing) in str(err.value)


def test_reruns_are_byte_identical(prepared, tmp_path):
    again = tmp_path / "again.jsonl"
    prepare(prepared.name, prepared.root, again)
    assert again.read_bytes() == prepared.out.read_bytes()
    assert report_path_for(again).read_bytes() == report_path_for(prepared.out).read_bytes()
    prepare(prepared.name, prepared.root, tmp_path / "a.parquet")
    prepare(prepared.name, prepared.root, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


# ------------------------------------------------------------------------------------------- golden
def tree_digest(root: Path) -> str:
    """Every file under the miniature root: relative path, then bytes (a symlink: its target text)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def manifest_digest(manifest: Path, root: Path) -> str:
    """The JSONL manifest with the (machine-specific) corpus root replaced by a placeholder."""
    lines = manifest.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    header[JSONL_HEADER_KEY]["roots"] = {k: "<root>" for k in header[JSONL_HEADER_KEY]["roots"]}
    text = "\n".join([json.dumps(header, sort_keys=True), *lines[1:]]) + "\n"
    return hashlib.sha256(text.replace(str(root), "<root>").encode("utf-8")).hexdigest()


def test_golden_digests(prepared):
    got = {"miniature": tree_digest(prepared.root), "manifest": manifest_digest(prepared.out, prepared.root)}
    golden = json.loads(GOLDEN_FILE.read_text(encoding="utf-8")) if GOLDEN_FILE.is_file() else {}
    if os.environ.get(PIN_ENV):
        golden[prepared.name] = got
        GOLDEN_FILE.write_text(json.dumps(dict(sorted(golden.items())), indent=2) + "\n", encoding="utf-8")
        pytest.skip(f"pinned {prepared.name} digests in {GOLDEN_FILE.name}")
    assert prepared.name in golden, (
        f"no pinned digests for corpus {prepared.name!r}; check its miniature and manifest by eye, then pin "
        f"them with {PIN_ENV}=1 (they would be {got})"
    )
    assert got == golden[prepared.name], (
        f"{prepared.name}: the seed-{SEED} miniature or its manifest changed bytes; if that is intended, "
        f"say why in CHANGELOG.md and re-pin with {PIN_ENV}=1"
    )
