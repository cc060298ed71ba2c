"""Corpus statistics in the layout papers print: per corpus and split, "n (p%)" per class, hours, speakers,
gender balance and rater agreement; as a rich table, Markdown, or a PNG bar chart.

Why its own module: cross-corpus papers compare these tables side by side (e.g. IEMOCAP vs MSP*), so the
numbers must come from one definition: percentages are of the row's utterances, agreement is the mean top
share of the votes in the chosen view, gender shares are shares of utterances.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich import box
from rich.table import Table

from sercorpus.core.schema import VOCABULARY, Utterance
from sercorpus.core.votes import agreement
from sercorpus.selection.steps import split_key
from sercorpus.selection.views import get_view, project_votes

NONE = "(none)"  # no consensus label, or a label outside the view


@dataclass
class StatsRow:
    corpus: str
    split: str  # split name, "(none)", or "all" for a corpus total
    n: int
    counts: dict[str, int]  # class -> utterances (NONE included when present)
    hours: float
    speakers: int
    gender: dict[str, int] = field(default_factory=dict)  # female / male / unknown -> utterances
    agreement: float | None = None  # mean top-vote share over records with votes
    rated: int = 0  # records with votes

    def share(self, key: str) -> float:
        return 100.0 * self.counts.get(key, 0) / self.n if self.n else 0.0

    def gender_share(self, key: str) -> float:
        return 100.0 * self.gender.get(key, 0) / self.n if self.n else 0.0


@dataclass
class Stats:
    rows: list[StatsRow]
    classes: list[str]  # column order
    view: str | None


def compute_stats(records: Iterable[Utterance], view: str | None = None, totals: bool = True) -> Stats:
    """Rows per (corpus, split), plus an ``all`` row per corpus with more than one split."""
    lview = get_view(view) if view else None
    groups: dict[tuple[str, str], list[Utterance]] = defaultdict(list)
    for utt in records:
        groups[(utt.corpus, split_key(utt.split))].append(utt)
    rows = []
    for corpus in sorted({c for c, _ in groups}):
        splits = sorted((s for c, s in groups if c == corpus), key=split_order)
        rows += [_row(corpus, s, groups[(corpus, s)], lview) for s in splits]
        if totals and len(splits) > 1:
            rows.append(_row(corpus, "all", [u for s in splits for u in groups[(corpus, s)]], lview))
    seen = {c for row in rows for c in row.counts}
    if lview is not None:
        classes = list(lview.classes)
    else:
        classes = [c for c in VOCABULARY if c in seen]
    if NONE in seen:
        classes.append(NONE)
    return Stats(rows, classes, view)


def pool_files(sources: Sequence[tuple[Path, Sequence[Utterance]]]) -> list[Utterance]:
    """The records of several manifests in one list; a corpus found in more than one file is renamed
    ``corpus (file stem)`` per file, so each file gets its own row group."""
    owners: dict[str, set[Path]] = defaultdict(set)
    for path, records in sources:
        for utt in records:
            owners[utt.corpus].add(path)
    return [
        u.replace(corpus=f"{u.corpus} ({path.stem})") if len(owners[u.corpus]) > 1 else u
        for path, records in sources
        for u in records
    ]


def split_order(split: str) -> tuple[int, int, str]:
    """Sort key: train, dev, test, test1, test2 ..., then anything else (tables read like papers)."""
    rank = {"train": 0, "dev": 1, "valid": 1, "validation": 1}
    tail = split[4:]
    number = int(tail) if split.startswith("test") and tail.isdigit() else 0
    return (rank.get(split, 2 if split.startswith("test") else 3), number, split)


def _row(corpus: str, split: str, rows: list[Utterance], view) -> StatsRow:
    counts: Counter[str] = Counter()
    agreements = []
    for utt in rows:
        label = view.map_category(utt.label) if view else utt.label
        counts[label or NONE] += 1
        votes = project_votes(utt.votes, view) if view else utt.votes
        if votes:
            value = agreement(votes)
            if value is not None:
                agreements.append(value)
    gender = Counter(u.gender or "unknown" for u in rows)
    return StatsRow(
        corpus=corpus,
        split=split,
        n=len(rows),
        counts=dict(counts),
        hours=sum(u.duration for u in rows) / 3600,
        speakers=len({u.speaker for u in rows if u.speaker}),
        gender={k: gender[k] for k in ("female", "male", "unknown")},
        agreement=sum(agreements) / len(agreements) if agreements else None,
        rated=len(agreements),
    )


# ---------------------------------------------------------------------------------------------- output
def _cells(stats: Stats, row: StatsRow) -> list[str]:
    gender = "/".join(f"{row.gender_share(k):.0f}" for k in ("female", "male", "unknown"))
    return [
        row.corpus,
        row.split,
        str(row.n),
        *(f"{row.counts.get(c, 0)} ({row.share(c):.1f}%)" for c in stats.classes),
        f"{row.hours:.2f}",
        str(row.speakers),
        gender,
        f"{row.agreement:.2f}" if row.agreement is not None else "-",
    ]


def _headers(stats: Stats) -> list[str]:
    return ["corpus", "split", "n", *stats.classes, "hours", "speakers", "F/M/? %", "agreement"]


def stats_table(stats: Stats, title: str = "statistics") -> Table:
    view = f" (view {stats.view})" if stats.view else ""
    table = Table(title=f"{title}{view}", box=box.SIMPLE_HEAD)
    for col in _headers(stats):
        table.add_column(col, justify="left" if col in ("corpus", "split") else "right")
    for row in stats.rows:
        table.add_row(*_cells(stats, row), style="bold" if row.split == "all" else None)
    return table


def stats_markdown(stats: Stats, title: str | None = None) -> str:
    headers = _headers(stats)
    lines = [f"### {title}\n"] if title else []
    if stats.view:
        lines.append(
            f"Label view: `{stats.view}`. Cells are n (% of the row); F/M/? = utterance share by "
            "speaker gender; agreement = mean top-vote share.\n"
        )
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "|".join("---" if h in ("corpus", "split") else "---:" for h in headers) + "|")
    for row in stats.rows:
        lines.append("| " + " | ".join(_cells(stats, row)) + " |")
    return "\n".join(lines) + "\n"


def stats_png(stats: Stats, path: str | Path, title: str = "class distribution") -> Path:
    """Horizontal 100%-stacked bars, one per corpus/split, class shares labelled inside, n at the end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in stats.rows if r.split != "all"] or stats.rows
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    colors = {
        "neutral": "#9e9e9e",
        "happy": "#f4b400",
        "sad": "#4285f4",
        "angry": "#db4437",
        "excited": "#ff8f00",
        "frustrated": "#8e24aa",
        "surprised": "#00acc1",
        "fearful": "#5d4037",
        "disgusted": "#43a047",
        "contempt": "#6d4c41",
        "other": "#bdbdbd",
        NONE: "#eeeeee",
    }
    fig, ax = plt.subplots(figsize=(10, 1.1 + 0.55 * len(rows)), dpi=120)
    labels = [f"{r.corpus} / {r.split}" for r in rows]
    y = list(range(len(rows)))[::-1]
    left = [0.0] * len(rows)
    for cls in stats.classes:
        widths = [r.share(cls) for r in rows]
        bars = ax.barh(
            y, widths, left=left, color=colors.get(cls, "#cccccc"), edgecolor="white", label=cls, height=0.7
        )
        for bar, w, r in zip(bars, widths, rows, strict=True):
            if w >= 7:
                ax.text(
                    bar.get_x() + w / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{r.counts.get(cls, 0)}\n{w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if cls in ("happy", "neutral", NONE, "other") else "white",
                )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for yi, r in zip(y, rows, strict=True):
        ax.text(101, yi, f"n={r.n}", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlim(0, 112)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("share of utterances (%)")
    view = f" (view {stats.view})" if stats.view else ""
    ax.set_title(f"{title}{view}", pad=26)
    handles, names = ax.get_legend_handles_labels()
    names = ["no label in view" if n == NONE else n for n in names]
    ax.legend(
        handles,
        names,
        ncol=min(len(stats.classes), 6),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        fontsize=8,
        frameon=False,
    )
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
