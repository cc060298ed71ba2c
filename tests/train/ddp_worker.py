"""One torchrun rank of the DDP test: train a tiny recipe (``ddp_worker.py RECIPE OUT MINI [KEY=VALUE ...]``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainhelp import TINY, run_tiny  # noqa: E402

if __name__ == "__main__":
    recipe, out, mini, *extra = sys.argv[1:]
    assert (TINY / f"{recipe}.yaml").is_file(), recipe
    run_tiny(recipe, Path(mini), Path(out), *extra)
