"""Privacy for corpora that must never leave the user's machine: keyed pseudonyms, redaction, no transcripts.

Design (see ``manifests/CALLS.md``, section "Privacy"):

- Call, speaker and rater identifiers are replaced by ``HMAC-SHA256(key, kind + raw id)`` cut to a short hex
  string. Keyed, because a plain hash of a ticket number like ``INC0012345`` is reversed by trying all
  numbers; with a key the pseudonyms are stable for one key (so prepared sets stay joinable run after run)
  and useless to anyone without it. The key is never written anywhere (``prepare`` drops it from the
  manifest's recorded options).
- The key comes from, in order: the ``key`` argument (library use), the environment variable named by
  ``key_env`` (CLI ``--key-env``, default ``SERCORPUS_KEY``), a key file inside the private corpus root
  (``.sercorpus-key``). Without any of them pseudonymising loaders refuse to run rather than write raw ids.
- Transcripts pass through a user redaction list (case-insensitive whole words/phrases -> ``[REDACTED]``)
  plus the corpus's own raw ids, or are dropped entirely (``no_transcripts``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.textfile import read_text_lines

DEFAULT_KEY_ENV = "SERCORPUS_KEY"
KEY_FILE = ".sercorpus-key"
REDACTED = "[REDACTED]"
#: Options whose values are secrets: ``prepare`` never records them in manifest metadata.
SECRET_OPTIONS = frozenset({"key"})
MIN_KEY_CHARS = 16


class PrivacyError(ValueError):
    """Privacy settings are missing or unusable (no key, empty redaction list ...)."""


# ------------------------------------------------------------------------------------------------ keys
def resolve_key(
    key: str | bytes | None = None, key_env: str | None = None, root: Path | None = None
) -> bytes:
    """The pseudonymisation key from the first source that has one (argument, env var, key file)."""
    if key is not None:
        return _non_empty(key.encode("utf-8") if isinstance(key, str) else bytes(key), "the key argument")
    env_name = key_env or DEFAULT_KEY_ENV
    value = os.environ.get(env_name)
    if value:
        return _non_empty(value.encode("utf-8"), f"environment variable {env_name}")
    if key_env is not None:  # the user named a variable: falling back silently would hide a typo
        raise PrivacyError(f"environment variable {env_name} (from --key-env) is not set or empty")
    if root is not None and (root / KEY_FILE).is_file():
        return _non_empty((root / KEY_FILE).read_bytes().strip(), f"key file {root / KEY_FILE}")
    raise PrivacyError(
        f"no pseudonymisation key: export {DEFAULT_KEY_ENV}=<secret> (or name another variable with "
        f"--key-env), or put a key file {KEY_FILE} in the corpus root; pass --opt pseudonymise=false only "
        "to keep raw ids on purpose"
    )


def _non_empty(key: bytes, source: str) -> bytes:
    if not key:
        raise PrivacyError(f"{source} holds an empty key")
    return key


@dataclass
class Pseudonymiser:
    """Keyed, stable, short pseudonyms; raises on a (very unlikely) collision instead of merging two ids.

    ``key=None`` keeps raw ids: only for users who opted out explicitly (``pseudonymise=false``).
    """

    key: bytes | None = field(repr=False)  # kept out of repr() and logs
    chars: int = 12  # 48 bits: collisions only become likely around 16 million distinct ids
    _seen: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _owners: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def __call__(self, kind: str, raw: str) -> str:
        """``kind-<hex>``; the kind is hashed too, so a speaker and a call with equal raw ids differ."""
        cached = self._seen.get((kind, raw))
        if cached is not None:
            return cached
        if self.key is None:
            pseudonym = raw
        else:
            digest = hmac.new(self.key, f"{kind}\x1f{raw}".encode(), hashlib.sha256).hexdigest()
            pseudonym = f"{kind}-{digest[: self.chars]}"
            if self._owners.setdefault(pseudonym, (kind, raw)) != (kind, raw):
                raise PrivacyError(f"pseudonym collision on {pseudonym}; use a longer pseudonym length")
        self._seen[(kind, raw)] = pseudonym
        return pseudonym

    @property
    def active(self) -> bool:
        return self.key is not None


# ------------------------------------------------------------------------------------------- redaction
def read_redaction_list(path: str | os.PathLike[str]) -> list[str]:
    """Terms of a redaction file: one word or phrase per line; blank lines and ``#`` comments ignored."""
    terms = [line.strip() for line in read_text_lines(Path(path))]
    terms = [t for t in terms if t and not t.startswith("#")]
    if not terms:
        raise CorpusFormatError(path, "redaction list holds no terms (an empty list would redact nothing)")
    return terms


class Redactor:
    """Case-insensitive whole-word/phrase replacement; longest terms first so phrases beat their words."""

    def __init__(self, terms: Iterable[str]):
        unique = sorted({t.strip() for t in terms if t and t.strip()}, key=lambda t: (-len(t), t.lower()))
        self.replacements = 0
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(_phrase_regex(t) for t in unique) + r")(?!\w)", re.IGNORECASE)
            if unique
            else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        result, count = self._pattern.subn(REDACTED, text)
        self.replacements += count
        return result


def _phrase_regex(term: str) -> str:
    """Words of a phrase separated by any whitespace (transcripts wrap and double-space)."""
    return r"\s+".join(re.escape(word) for word in term.split())


@dataclass
class TranscriptPolicy:
    """What happens to transcript text on its way into a manifest."""

    keep: bool = True
    redactor: Redactor | None = None

    def apply(self, text: str | None) -> str | None:
        if not self.keep or text is None:
            return None
        text = text.strip()
        if not text:
            return None
        return self.redactor(text) if self.redactor else text


def transcript_policy(
    no_transcripts: bool, redact: str | os.PathLike[str] | None, root: Path, extra_terms: Iterable[str] = ()
) -> TranscriptPolicy:
    """Build the policy from loader options; ``redact`` is relative to the corpus root unless absolute."""
    if no_transcripts:
        return TranscriptPolicy(keep=False)
    terms = list(extra_terms)
    if redact is not None:
        terms += read_redaction_list(root / redact)
    return TranscriptPolicy(keep=True, redactor=Redactor(terms) if terms else None)


#: Raw ids shorter than this are not searched for in transcripts and file names ("A" would match anything).
MIN_ID_CHARS = 3


def searchable_ids(raw_ids: Iterable[str]) -> list[str]:
    """The raw ids worth redacting from transcripts and looking for in file names."""
    return sorted({r for r in raw_ids if len(r.strip()) >= MIN_ID_CHARS})


def reveals_id(text: str, raw_ids: Iterable[str]) -> bool:
    """Whether any raw id occurs in ``text`` (case-insensitive), e.g. a ticket number in a file name."""
    low = text.casefold()
    return any(r.casefold() in low for r in searchable_ids(raw_ids))


def public_options(options: dict[str, object] | None) -> dict[str, object]:
    """Loader options safe to record in manifest metadata: secret values are replaced by a marker."""
    return {k: ("(secret, not stored)" if k in SECRET_OPTIONS else v) for k, v in (options or {}).items()}
