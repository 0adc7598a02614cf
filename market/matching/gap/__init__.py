"""The OR-Library generalised assignment problem (GAP) solver, used by problem files and
scripts/bench_gap.py: reader, compiled kernels, phases and driver. Not part of the product's
matching; it shares only the HiGHS backend and the status enum with it."""
