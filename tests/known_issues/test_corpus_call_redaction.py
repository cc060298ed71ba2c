"""Issue 10, item 14: call transcripts kept the customer's number ("It is 20417 ...", the caller id being
``C-20417``): redaction covered whole ids only. Digit runs, phone numbers and e-mail addresses are now redacted
by default for ``calls``, on top of the user's list, with a count per class in the report."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from sercorpus.core.privacy import PrivacyError, Redactor
from sercorpus.corpora.prepare import prepare, report_path_for
from sercorpus.synth.calls import write_calls

KEY = "unit-test-key-0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_calls(tmp_path_factory.mktemp("calls") / "root")


def transcripts(records) -> list[str]:
    return [u.transcript for u in records if u.transcript]


def test_the_customer_number_is_redacted_by_default(mini, tmp_path):
    out = tmp_path / "calls.jsonl"
    records, report = prepare("calls", mini, out, options={"key": KEY})
    texts = transcripts(records)
    assert "It is [NUMBER]. I have restarted it three times already." in texts
    assert b"20417" not in out.read_bytes() and b"20417" not in report_path_for(out).read_bytes()
    counts = report.counts
    assert counts["transcripts:redacted:digits"] == 1
    assert counts["transcripts:redacted:terms"] == 1  # the ticket id the customer quotes
    assert counts["transcripts:redacted:email"] == 0 and counts["transcripts:redacted:phone"] == 0
    assert counts["transcripts:redactions"] == 2


def test_phone_numbers_and_email_addresses_with_counts_per_class(mini, tmp_path):
    root = Path(shutil.copytree(mini, tmp_path / "root"))
    with open(root / "segments.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if r["transcript"])
    row["transcript"] = "Call me on +44 20 7946 0958 or mail jane.doe@example.com, my PIN is 4711."
    with open(root / "segments.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "calls.jsonl"
    records, report = prepare("calls", root, out, options={"key": KEY})
    assert "Call me on [PHONE] or mail [EMAIL], my PIN is [NUMBER]." in transcripts(records)
    assert report.counts["transcripts:redacted:phone"] == 1
    assert report.counts["transcripts:redacted:email"] == 1
    assert report.counts["transcripts:redacted:digits"] == 2  # the PIN and the customer number
    blob = out.read_bytes() + report_path_for(out).read_bytes()
    assert b"jane.doe" not in blob and b"7946" not in blob and b"4711" not in blob


def test_the_users_list_runs_first_and_classes_can_be_tuned_or_off(mini, tmp_path):
    terms = tmp_path / "names.txt"
    terms.write_text("Maria\n20417\n")
    records, report = prepare("calls", mini, tmp_path / "a.jsonl", options={"key": KEY, "redact": str(terms)})
    assert "It is [REDACTED]. I have restarted it three times already." in transcripts(records)
    assert report.counts["transcripts:redacted:digits"] == 0
    records, _ = prepare("calls", mini, tmp_path / "b.jsonl", options={"key": KEY, "redact_classes": "none"})
    assert "It is 20417. I have restarted it three times already." in transcripts(records)
    records, _ = prepare("calls", mini, tmp_path / "c.jsonl", options={"key": KEY, "redact_min_digits": "6"})
    assert "It is 20417. I have restarted it three times already." in transcripts(records)
    with pytest.raises(PrivacyError, match=r"unknown redaction class\(es\) \['phones'\]; known: \['email'"):
        prepare("calls", mini, tmp_path / "d.jsonl", options={"key": KEY, "redact_classes": "phones"})


def test_generic_corpora_keep_digits_unless_asked(tmp_path):
    from sercorpus.synth.custom import write_custom_csv

    root = write_custom_csv(tmp_path / "csv")
    _, report = prepare("csv", root, tmp_path / "a.jsonl")
    assert not any(k.startswith("transcripts:redacted") for k in report.counts)
    prepare("csv", root, tmp_path / "b.jsonl", options={"redact_classes": "digits,email"})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("reach me at j.o+x@mail.example.co.uk.", "reach me at [EMAIL]."),
        ("+1 (555) 123-4567 or 0171 234 5678", "[PHONE] or [PHONE]"),
        ("ticket INC0099999, 150 dollars, 2024", "ticket [NUMBER], [NUMBER] dollars, [NUMBER]"),
        ("ten minutes at 10:30 for 2 people", "ten minutes at 10:30 for 2 people"),  # short numbers stay
    ],
)
def test_redaction_classes(text, expected):
    assert Redactor([], ["email", "phone", "digits"])(text) == expected


def test_the_doc_says_what_is_and_is_not_covered():
    doc = (REPO / "docs" / "CALLS.md").read_text(encoding="utf-8")
    for needle in (
        "`email`",
        "`phone`",
        "`digits`",
        "**Not covered**",
        "redact_classes",
        "redact_min_digits",
    ):
        assert needle in doc
