"""The augmentation engine's output version: bumped whenever the same inputs, config and seed give other
bytes on purpose (recorded in every output folder's RUN.json, so old and new outputs never mix).

History: 1 (until 0.1.0) outputs depended on the batch layout; 2 every example is computed on its own on
the CPU (byte-identical for any batch size, order, worker count and after resume), empty/NaN/undecodable
inputs are counted skips, unmeasurable SNRs are null with a reason.
"""

ENGINE_VERSION = 2
