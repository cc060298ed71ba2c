"""Log-mel front ends of the two PANNs CNN14 checkpoints, with the rate each expects.

- ``16k``: 16 kHz, window 512 (32 ms), hop 160 (10 ms), 64 mel, 50-8000 Hz: ``Cnn14_16k`` (mAP 0.438) and
  Wagner et al.'s CNN14 baseline.
- ``32k``: 32 kHz, window 1024, hop 320 (10 ms), 64 mel, 50-14000 Hz: ``Cnn14`` (mAP 0.431), the setup
  Emmanouilidou et al. describe (their "16 kHz ... 50-14000 Hz" is impossible: 14 kHz is above a 16 kHz
  signal's Nyquist; audio is resampled to 32 kHz for this front end).
Slaney mel filters with Slaney normalisation (librosa's defaults, which PANNs uses), power spectrogram, 10
log10 with a 1e-10 floor and no top-dB clipping, centred reflect-padded frames."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchaudio
from torch import nn


@dataclass(frozen=True)
class FrontEnd:
    name: str
    sample_rate: int
    window: int
    hop: int
    mels: int
    fmin: float
    fmax: float


FRONT_ENDS = {
    "16k": FrontEnd("16k", 16000, 512, 160, 64, 50.0, 8000.0),
    "32k": FrontEnd("32k", 32000, 1024, 320, 64, 50.0, 14000.0),
}


class LogMel(nn.Module):
    """[B, T] waveform at ``input_rate`` -> ([B, frames, mels] log-mel in dB, valid frame counts [B])."""

    def __init__(self, frontend: FrontEnd, input_rate: int):
        super().__init__()
        self.frontend = frontend
        self.input_rate = input_rate
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=frontend.sample_rate,
            n_fft=frontend.window,
            win_length=frontend.window,
            hop_length=frontend.hop,
            f_min=frontend.fmin,
            f_max=frontend.fmax,
            n_mels=frontend.mels,
            power=2.0,
            center=True,
            pad_mode="reflect",
            norm="slaney",
            mel_scale="slaney",
        )

    def frames(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames whose centre lies inside the valid (resampled) signal."""
        samples = self.resampled_lengths(lengths)
        return torch.div(samples, self.frontend.hop, rounding_mode="floor") + 1

    def resampled_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        if self.input_rate == self.frontend.sample_rate:
            return lengths
        return torch.div(
            lengths * self.frontend.sample_rate + self.input_rate - 1, self.input_rate, rounding_mode="floor"
        )

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = audio.float()
        if self.input_rate != self.frontend.sample_rate:
            x = torchaudio.functional.resample(x, self.input_rate, self.frontend.sample_rate)
        with torch.autocast(device_type=x.device.type, enabled=False):
            power = self.mel(x)  # [B, mels, frames]
            logmel = 10.0 * torch.log10(power.clamp_min(1e-10))
        frames = self.frames(lengths).clamp(max=logmel.shape[-1])
        return logmel.transpose(1, 2), frames
