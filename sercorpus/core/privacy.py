"""Privacy for corpora that must never leave the user's machine: keyed pseudonyms, redaction, no transcripts.

Design (see ``docs/CALLS.md``, section "Privacy"):

- Call, speaker and rater identifiers are replaced by ``HMAC-SHA256(key, kind + raw id)`` cut to a short hex
  string. Keyed, because a plain hash of a ticket number like ``INC0012345`` is reversed by trying all
  numbers; with a key the pseudonyms are stable for one key (so prepared sets stay joinable run after run)
  and useless to anyone without it. The key is never written anywhere (``prepare`` drops it from the
  manifest's recorded options).
- The key comes from, in order: the ``key`` argument (library use), the environment variable named by
  ``key_env`` (CLI ``--key-env``, default ``SERCORPUS_KEY``), a key file inside the private corpus root
  (``.sercorpus-key``). Without any of them pseudonymising loaders refuse to run rather than write raw ids.
- Transcripts pass through a user redaction list (case-insensitive whole words/phrases -> ``[REDACTED]``)
  plus the corpus's own raw ids, then through pattern classes (``email`` -> ``[EMAIL]``, ``phone`` ->
  ``[PHONE]``, ``digits`` -> ``[NUMBER]``; on by default for call recordings, where a customer reads out a
  customer number the id list does not hold), or are dropped entirely (``no_transcripts``). Each class's
  replacements are counted for the report. Not covered: names not on the list, spelled-out numbers
  ("two oh four"), street addresses, anything an ASR misheard; ``docs/CALLS.md`` says so too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sercorpus.core.errors import CorpusFormatError
from sercorpus.core.textfile import read_text_lines

DEFAULT_KEY_ENV = "SERCORPUS_KEY"
KEY_FILE = ".sercorpus-key"
REDACTED = "[REDACTED]"
#: Pattern classes in the order they run (after the term list), with their placeholders.
REDACTION_CLASSES: dict[str, str] = {"email": "[EMAIL]", "phone": "[PHONE]", "digits": "[NUMBER]"}
#: ``digits``: a word holding a run of at least this many digits (ids, PINs, amounts, years)
DEFAULT_MIN_DIGITS = 3
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
#: 7+ digits in groups joined by up to two of space ( ) . - / with an optional + or 00 prefix
_PHONE = r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s().\-/]{0,2}\d){6,}(?!\w)"
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


def parse_redaction_classes(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"email,phone,digits"`` (or a list) -> class names in run order; ``none`` or empty -> none."""
    names = [n.strip().lower() for n in (value.split(",") if isinstance(value, str) else value)]
    names = [n for n in names if n and n != "none"]
    unknown = sorted(set(names) - set(REDACTION_CLASSES))
    if unknown:
        raise PrivacyError(
            f"unknown redaction class(es) {unknown}; known: {list(REDACTION_CLASSES)} (or none)"
        )
    return tuple(c for c in REDACTION_CLASSES if c in names)


class Redactor:
    """Terms first (case-insensitive whole words/phrases, longest first so phrases beat their words), then
    the pattern ``classes``; ``counts`` tallies replacements per class (``terms`` for the list)."""

    def __init__(
        self, terms: Iterable[str], classes: Iterable[str] = (), min_digits: int = DEFAULT_MIN_DIGITS
    ):
        if min_digits < 1:
            raise PrivacyError(f"redact_min_digits must be >= 1, got {min_digits}")
        unique = sorted({t.strip() for t in terms if t and t.strip()}, key=lambda t: (-len(t), t.lower()))
        self.replacements = 0
        self.counts: Counter[str] = Counter()
        self._steps: list[tuple[str, re.Pattern[str], str]] = []
        if unique:
            joined = "|".join(_phrase_regex(t) for t in unique)
            self._steps.append(("terms", re.compile(rf"(?<!\w)(?:{joined})(?!\w)", re.IGNORECASE), REDACTED))
        patterns = {"email": _EMAIL, "phone": _PHONE, "digits": rf"(?<!\w)\w*\d{{{min_digits},}}\w*(?!\w)"}
        for name in parse_redaction_classes(list(classes)):
            self._steps.append((name, re.compile(patterns[name]), REDACTION_CLASSES[name]))
        self.classes = tuple(name for name, _, _ in self._steps)

    def __call__(self, text: str) -> str:
        for name, pattern, placeholder in self._steps:
            text, count = pattern.subn(placeholder, text)
            self.counts[name] += count
            self.replacements += count
        return text


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
    no_transcripts: bool,
    redact: str | os.PathLike[str] | None,
    root: Path,
    extra_terms: Iterable[str] = (),
    classes: str | Iterable[str] = (),
    min_digits: int = DEFAULT_MIN_DIGITS,
) -> TranscriptPolicy:
    """Build the policy from loader options; ``redact`` is relative to the corpus root unless absolute."""
    if no_transcripts:
        return TranscriptPolicy(keep=False)
    terms = list(extra_terms)
    if redact is not None:
        terms += read_redaction_list(root / redact)
    wanted = parse_redaction_classes(classes)
    return TranscriptPolicy(
        keep=True, redactor=Redactor(terms, wanted, min_digits) if terms or wanted else None
    )


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
