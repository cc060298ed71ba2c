"""Header probing: agrees with libsndfile, catches truncation and LFS pointers; segment reads."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from sercorpus.core.audio import AudioError, LfsPointerError, probe, read_audio, write_wav


@pytest.mark.parametrize(
    ("rate", "channels", "subtype"),
    [(16000, 1, "PCM_16"), (8000, 2, "PCM_16"), (44100, 1, "PCM_24"), (32000, 2, "FLOAT")],
)
def test_probe_matches_soundfile(tmp_path, rate, channels, subtype):
    path = tmp_path / "x.wav"
    sf.write(path, np.zeros((1234, channels), dtype=np.float32), rate, subtype=subtype)
    info, ref = probe(path), sf.info(str(path))
    assert (info.sample_rate, info.num_channels, info.num_frames, info.subtype) == (
        ref.samplerate,
        ref.channels,
        ref.frames,
        ref.subtype,
    )


def test_probe_on_real_files(shared_data):
    for path in (
        sorted((shared_data / "rir").glob("*.wav"))
        + sorted((shared_data / "ESC-50" / "audio").glob("*.wav"))[:5]
    ):
        info, ref = probe(path), sf.info(str(path))
        assert (info.sample_rate, info.num_channels, info.num_frames) == (
            ref.samplerate,
            ref.channels,
            ref.frames,
        ), path


def test_probe_flac_via_soundfile(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, np.zeros(800, dtype=np.float32), 16000)
    assert probe(path).num_frames == 800


def test_metadata_chunk_larger_than_read_ahead_before_data(tmp_path):
    """Broadcast WAVs carry big LIST/bext chunks before 'data'; the probe must walk past them."""
    import struct

    path = tmp_path / "x.wav"
    sf.write(path, np.zeros(1000, dtype=np.float32), 16000, subtype="PCM_16")
    raw = path.read_bytes()
    big = b"LIST" + struct.pack("<I", 6000) + bytes(6000)
    raw = raw[:36] + big + raw[36:]  # after the 16-byte fmt chunk
    path.write_bytes(raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:])
    assert sf.info(str(path)).frames == 1000
    assert probe(path).num_frames == 1000


def test_truncated_wav_is_detected(tmp_path):
    path = tmp_path / "t.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:20000])
    with pytest.raises(AudioError, match="truncated WAV: header promises 32000 data bytes"):
        probe(path)


def test_lfs_pointer_is_explained(tmp_path):
    path = tmp_path / "1001_DFA_ANG_XX.wav"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 72862\n")
    with pytest.raises(LfsPointerError, match="git-LFS pointer.*git lfs pull"):
        probe(path)
    with pytest.raises(LfsPointerError):
        read_audio(path)


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        probe(tmp_path / "nope.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"\x00\x05garbage" * 10)
    with pytest.raises(AudioError, match="unreadable audio"):
        probe(junk)


def test_float_wavs_are_byte_reproducible(tmp_path):
    """libsndfile's PEAK chunk holds a timestamp; without it the same samples give the same bytes."""
    x = np.random.default_rng(0).standard_normal((800, 2)).astype(np.float32) * 0.5
    write_wav(tmp_path / "a.wav", x, 16000, subtype="FLOAT")
    raw = (tmp_path / "a.wav").read_bytes()
    assert b"PEAK" not in raw
    back, rate = sf.read(tmp_path / "a.wav", dtype="float32")
    assert rate == 16000 and np.array_equal(back, x)
    assert probe(tmp_path / "a.wav").subtype == "FLOAT"


def test_read_segment_and_channel(tmp_path):
    rate = 8000
    left = np.linspace(-0.5, 0.5, rate * 2, dtype=np.float32)
    stereo = np.stack([left, -left], axis=1)
    path = tmp_path / "call.wav"
    write_wav(path, stereo, rate, subtype="FLOAT")
    seg, sr = read_audio(path, offset=0.5, duration=0.25, channel=1)
    assert sr == rate and seg.shape == (2000,)
    np.testing.assert_allclose(seg, -left[4000:6000])
    both, _ = read_audio(path)
    assert both.shape == (rate * 2, 2)
    with pytest.raises(AudioError, match="channel 2 requested, file has 2"):
        read_audio(path, channel=2)
    with pytest.raises(AudioError, match="past the end"):
        read_audio(path, offset=5.0)
