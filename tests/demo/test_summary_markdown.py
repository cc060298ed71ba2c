"""SUMMARY.md renders as Markdown: tables are real tables, PNGs are embedded, bullets stay bullets."""

from __future__ import annotations

from sercorpus.demo.context import Image, Table, render_blocks


def test_table_is_a_markdown_table_with_alignment_and_escaped_cells():
    table = Table(["corpus", "n"], [["a|b", 3], ["c", None]], caption="Counts", align="lr")
    assert table.markdown().splitlines() == [
        "**Counts**",
        "",
        "| corpus | n |",
        "| --- | ---: |",
        "| a\\|b | 3 |",
        "| c |  |",
    ]


def test_blocks_render_bullets_tables_and_images_as_separate_paragraphs():
    text = render_blocks(["first", "second", Table(["x"], [[1]]), Image("stats/plot.png", "a plot"), "after"])
    assert text.split("\n\n") == [
        "- first\n- second",
        "| x |\n| --- |\n| 1 |",
        "![a plot](stats/plot.png)",
        "- after",
    ]
