"""Audio file probing and reading with soundfile (never torchaudio I/O, which now needs TorchCodec/FFmpeg).

``probe`` reads only the header. For WAV it parses the RIFF chunks itself: mainly because that is the way to
notice a truncated file, which libsndfile silently reads short; it also costs about half of
``soundfile.info`` (22 vs 45 us per file measured here), which counts when preparing 100k utterances.
Other formats go through ``soundfile.info``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from sercorpus.core.atomic import CREATE_MODE

LFS_POINTER_PREFIX = b"version https://git-lfs"


class AudioError(ValueError):
    """An audio file is missing, unreadable, truncated or not audio at all; the message names the file."""


class LfsPointerError(AudioError):
    """The file is a git-LFS pointer (a clone without ``git lfs pull``), not audio."""


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    num_channels: int
    num_frames: int
    subtype: str  # e.g. PCM_16

    @property
    def duration(self) -> float:
        return self.num_frames / self.sample_rate


def is_lfs_pointer(path: str | os.PathLike[str]) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX
    except OSError:
        return False


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Header facts of an audio file; raises AudioError/LfsPointerError with the reason."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(len(LFS_POINTER_PREFIX))
            size = os.fstat(handle.fileno()).st_size
            if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
                return _probe_wav(path, handle, size)
    except FileNotFoundError:
        raise AudioError(f"{path}: audio file not found") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a directory, not an audio file") from None
    if head.startswith(LFS_POINTER_PREFIX):
        raise LfsPointerError(
            f"{path}: is a git-LFS pointer file ({size} bytes of text), not audio. The repository was cloned "
            "without git-lfs; run `git lfs install && git lfs pull` in the corpus checkout (or download the "
            "release archive) to get the real audio."
        )
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioError(f"{path}: unreadable audio ({exc})") from None
    return AudioInfo(int(info.samplerate), int(info.channels), int(info.frames), str(info.subtype))


_WAV_SUBTYPES = {
    (1, 8): "PCM_U8",
    (1, 16): "PCM_16",
    (1, 24): "PCM_24",
    (1, 32): "PCM_32",
    (3, 32): "FLOAT",
    (3, 64): "DOUBLE",
}


def _probe_wav(path: Path, handle, size: int) -> AudioInfo:
    """Walk RIFF chunks to 'fmt ' and 'data' (seeking chunk to chunk, so metadata chunks of any size before
    'data' are fine); the data chunk must fit in the file."""
    pos, fmt = 12, None
    while pos + 8 <= size:
        handle.seek(pos)
        chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
        if chunk_id == b"fmt ":
            body = handle.read(min(chunk_size, 40))
            if len(body) < 16:
                raise AudioError(f"{path}: truncated WAV fmt chunk")
            tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", body)
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: real tag is in the GUID
                tag = struct.unpack_from("<H", body, 24)[0]
            fmt = (tag, channels, rate, block_align, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{path}: WAV data chunk before fmt chunk")
            tag, channels, rate, block_align, bits = fmt
            if channels == 0 or rate == 0 or block_align == 0:
                raise AudioError(f"{path}: invalid WAV fmt chunk (channels={channels}, rate={rate})")
            available = size - (pos + 8)
            if chunk_size > available and chunk_size not in (0, 0xFFFFFFFF):
                raise AudioError(
                    f"{path}: truncated WAV: header promises {chunk_size} data bytes, file holds {available}"
                )
            return AudioInfo(
                rate, channels, chunk_size // block_align, _WAV_SUBTYPES.get((tag, bits), f"WAV_{tag}_{bits}")
            )
        pos += 8 + chunk_size + (chunk_size & 1)
    raise AudioError(f"{path}: truncated WAV header (no data chunk)")


AUDIO_SUFFIXES = (".wav", ".flac")


def audio_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Every .wav/.flac file under ``folder``, sorted; macOS ``._`` AppleDouble companions are not audio."""
    return sorted(
        p
        for p in Path(folder).rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith("._") and p.is_file()
    )


def read_audio(
    path: str | os.PathLike[str],
    offset: float = 0.0,
    duration: float | None = None,
    channel: int | None = None,
) -> tuple[np.ndarray, int]:
    """Decode ``[offset, offset + duration)`` seconds as float32.

    Returns 1-D samples for mono files or when ``channel`` is given, else (frames, channels).
    Reads only the requested span, so segments of hour-long call recordings stay cheap.
    """
    path = Path(path)
    if is_lfs_pointer(path):
        probe(path)  # raises the explanatory LfsPointerError
    try:
        with sf.SoundFile(str(path)) as handle:
            rate = handle.samplerate
            start = int(round(offset * rate))
            frames = -1 if duration is None else int(round(duration * rate))
            if start > handle.frames:
                raise AudioError(
                    f"{path}: offset {offset:.3f}s is past the end ({handle.frames / rate:.3f}s)"
                )
            handle.seek(start)
            data = handle.read(frames, dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioError(f"{path}: unreadable audio ({exc})") from None
    if channel is not None:
        if not 0 <= channel < data.shape[1]:
            raise AudioError(f"{path}: channel {channel} requested, file has {data.shape[1]}")
        return np.ascontiguousarray(data[:, channel]), rate
    return (data[:, 0].copy() if data.shape[1] == 1 else data), rate


#: libsndfile's ``SFC_SET_ADD_PEAK_CHUNK`` (sndfile.h); soundfile does not name it
_SFC_SET_ADD_PEAK_CHUNK = 0x1050


def write_wav(
    path: str | os.PathLike[str], samples: np.ndarray, sample_rate: int, subtype: str = "PCM_16"
) -> None:
    """Write a WAV atomically (temp file + rename): an interrupted writer never leaves a short file.

    Float WAVs are written without libsndfile's PEAK chunk: it carries a timestamp, which would make the
    same seed give different bytes on every run.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # Created here as 0666 minus the umask (libsndfile would create it 0644 whatever the umask), then written
    # by libsndfile, which keeps an existing file's mode; a stale temp file of a killed run goes first.
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CREATE_MODE))
    data = np.asarray(samples)
    channels = 1 if data.ndim == 1 else data.shape[1]
    with sf.SoundFile(str(tmp), "w", sample_rate, channels, subtype=subtype, format="WAV") as handle:
        if subtype in ("FLOAT", "DOUBLE"):
            sf._snd.sf_command(handle._file, _SFC_SET_ADD_PEAK_CHUNK, sf._ffi.NULL, 0)  # before any data
        handle.write(data)
    os.replace(tmp, path)
