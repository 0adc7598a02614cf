"""The allocation solver (relax-and-fix and local search on HiGHS), with the HiGHS backend and
the status enum that the GAP solver shares."""
