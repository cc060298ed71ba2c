"""``python -m sercorpus``: the same CLI as the ``sercorpus`` command."""

from sercorpus.cli import main

main()
