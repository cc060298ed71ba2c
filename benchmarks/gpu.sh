#!/usr/bin/env bash
# Every check that needs CUDA, in one run (< 8 minutes on one GPU), with the numbers in one JSON file.
#
#   benchmarks/gpu.sh [OUT.json]        (default: gpu-results.json)
#
# Without a CUDA device it says so, writes {"cuda": false, ...} and exits 0.
# To add a check, append one line to STEPS below: "name|seconds|command". A step may write its numbers as
# JSON to "$STEP_JSON" (a path the script gives it); they land under steps[].numbers in the output.
# GPU_SH_DRY=1 runs the steps even without CUDA (to test this script; the checks then skip).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-gpu-results.json}
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

STEPS=(
  "pytest-gpu|120|$PY -m pytest tests -k gpu -q -p no:cacheprovider -rA --junitxml=\$STEP_DIR/junit.xml"
  "augment-benchmark-gpu|120|$PY benchmarks/augment.py --gpu-only --n 200 --reps 3 --json \$STEP_JSON"
  "shards-write-gpu|90|$PY benchmarks/shards.py --n 300 --reps 1 --device cuda --gpu-batch 64 --work \$STEP_DIR/work --json \$STEP_JSON"
  "train-bf16-gpu|100|$PY benchmarks/train.py --device cuda --precision bf16 --sizes base --threads 1 --steps 20 --no-e2e --json \$STEP_JSON"
)

if [ "${GPU_SH_DRY:-0}" != 1 ] && ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu.sh: no CUDA device visible to torch ($PY); nothing to run. Wrote $OUT with cuda=false."
  printf '{"cuda": false, "reason": "torch.cuda.is_available() is false", "steps": []}\n' > "$OUT"
  exit 0
fi

start=$(date +%s)
failed=0
i=0
for entry in "${STEPS[@]}"; do
  IFS='|' read -r name limit command <<< "$entry"
  i=$((i + 1))
  export STEP_DIR="$WORK/$(printf %02d $i)-$name" STEP_JSON="$WORK/$(printf %02d $i)-$name/numbers.json"
  mkdir -p "$STEP_DIR"
  echo "== $name (limit ${limit}s)"
  t0=$(date +%s)
  timeout "$limit" bash -c "$command" 2>&1 | tee "$STEP_DIR/log.txt"
  rc=${PIPESTATUS[0]}
  echo "$rc $(( $(date +%s) - t0 ))" > "$STEP_DIR/status"
  [ "$rc" -eq 0 ] || failed=1
done

"$PY" - "$WORK" "$OUT" "$(( $(date +%s) - start ))" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path

import torch

work, out, total = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
steps = []
for step in sorted(p for p in work.iterdir() if p.is_dir()):
    rc, seconds = (int(v) for v in (step / "status").read_text().split())
    entry = {"name": step.name.split("-", 1)[1], "rc": rc, "seconds": seconds, "timed_out": rc == 124}
    numbers = step / "numbers.json"
    if numbers.is_file():
        entry["numbers"] = json.loads(numbers.read_text())
    junit = step / "junit.xml"
    if junit.is_file():
        suite = ET.parse(junit).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        entry["tests"] = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
        entry["tests"]["names"] = [c.get("classname", "") + "::" + c.get("name", "") for c in suite.iter("testcase")]
    entry["log_tail"] = (step / "log.txt").read_text(errors="replace")[-2000:]
    steps.append(entry)
result = {
    "cuda": torch.cuda.is_available(),
    "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    "torch": torch.__version__,
    "cuda_version": torch.version.cuda,
    "total_seconds": total,
    "steps": steps,
}
out.write_text(json.dumps(result, indent=1) + "\n")
print(f"gpu.sh: wrote {out}: " + ", ".join(f"{s['name']} rc={s['rc']} ({s['seconds']} s)" for s in steps))
EOF
exit $failed
