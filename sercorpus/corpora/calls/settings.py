"""Options and validated settings of the ``calls`` loader, and the context every later step shares."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sercorpus.core.labelmap import load_label_map
from sercorpus.core.privacy import DEFAULT_MIN_DIGITS, Pseudonymiser, TranscriptPolicy
from sercorpus.core.votes import MultiLabelPolicy
from sercorpus.corpora.nativelabels import LabelMatcher, parse_scale, read_label_map_file
from sercorpus.corpora.options import LoaderOptions, option

CORPUS = "calls"
DIMS = ("arousal", "valence", "dominance")

ROLE_ALIASES = {
    "agent": (
        "agent",
        "operator",
        "rep",
        "representative",
        "csr",
        "advisor",
        "adviser",
        "engineer",
        "technician",
        "support",
        "analyst",
    ),
    "customer": ("customer", "caller", "client", "user", "end_user", "enduser", "requester"),
}
_ROLE_BY_ALIAS = {alias: role for role, aliases in ROLE_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class CallsOptions(LoaderOptions):
    """Options of the ``calls`` loader (``docs/CALLS.md``, section Options)."""

    table: str | None = option(None, "segment table path, relative to the root (default: the one segments.*)")
    audio_dir: str = option(".", "folder the audio column (or <call id>.wav) is relative to")
    roles: str | dict[str, int] = option("agent=0,customer=1", "role -> channel on multi-channel recordings")
    split: str = option("test", "split of rows without a split column")
    labelmap: str | None = option(
        None, "your label map (YAML with words, optional scale); default calls.yaml"
    )
    scale: str | list[float] | None = option(None, "native dimensional scale, 1,5 or [0,10]")
    multi_label: str = option(
        "split", "weight of several words in one cell", choices=tuple(p.value for p in MultiLabelPolicy)
    )
    key: str | bytes | None = option(None, "pseudonymisation key (library use; never recorded)")
    key_env: str | None = option(None, "environment variable holding the key (default SERCORPUS_KEY)")
    pseudonymise: bool = option(True, "false keeps raw ids (explicit opt-out)")
    no_transcripts: bool = option(False, "drop transcripts")
    redact: str | None = option(None, "redaction list file (one word or phrase per line)")
    redact_classes: str = option(
        "email,phone,digits",
        "pattern classes redacted from transcripts after the list and the raw ids: email, phone, digits "
        "(comma-separated) or none",
    )
    redact_min_digits: int = option(DEFAULT_MIN_DIGITS, "digits class: words with a run of this many digits")
    link_dir: str | None = option(None, "write pseudonymised symlinks there and use them as audio_path")
    id_in_filename: str = option(
        "warn", "error: refuse recordings whose path contains a raw id", choices=("warn", "error")
    )


# ------------------------------------------------------------------------------------------- settings
@dataclass
class Settings:
    """Loader options, validated once."""

    roles: dict[str, int]
    split: str
    labels: LabelMatcher
    scale: tuple[float, float] | None
    policy: MultiLabelPolicy
    audio_dir: str
    link_dir: str | None
    id_in_filename: str


def canonical_role(value: str) -> str | None:
    return _ROLE_BY_ALIAS.get(re.sub(r"[\s\-]+", "_", value.strip().lower()))


def parse_roles(value: str | Mapping[str, Any]) -> dict[str, int]:
    """``"agent=0,customer=1"`` (as ``--opt roles=...`` arrives) or a mapping -> role -> channel."""
    pairs = (
        value.items() if isinstance(value, Mapping) else (p.split("=", 1) for p in str(value).split(",") if p)
    )
    roles: dict[str, int] = {}
    for role, channel in pairs:
        try:
            roles[canonical_role(str(role).strip()) or str(role).strip().lower()] = int(channel)
        except (TypeError, ValueError):
            raise ValueError(
                f"roles: expected ROLE=CHANNEL pairs like 'agent=0,customer=1', got {value!r}"
            ) from None
    return roles


def settings_for(root: Path, options: CallsOptions) -> Settings:
    """Options -> settings: the label map read, roles and scale parsed."""
    if options.labelmap is not None:
        matcher, map_scale = read_label_map_file(root / options.labelmap)
    else:
        shipped = load_label_map(CORPUS)
        matcher, map_scale = LabelMatcher.from_label_map(shipped, f"labelmaps/{CORPUS}.yaml"), shipped.scale
    return Settings(
        roles=parse_roles(options.roles),
        split=str(options.split).lower(),
        labels=matcher,
        scale=parse_scale(options.scale, "option scale") if options.scale is not None else map_scale,
        policy=MultiLabelPolicy(options.multi_label),
        audio_dir=options.audio_dir,
        link_dir=options.link_dir,
        id_in_filename=options.id_in_filename,
    )


@dataclass
class Context:
    """Everything record building needs besides the segment."""

    pseudo: Pseudonymiser
    texts: TranscriptPolicy
    settings: Settings
