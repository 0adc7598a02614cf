"""Work budgets of the GAP solver's phases, calibrated together against the time limit."""

# Work budgets. They are expressed in iterations computed from the instance size, so the answer
# does not depend on machine speed. The constants are calibrated so that, on one core of the
# 2-core reference machine, each phase takes roughly the stated share of the time limit.
FIRST_SHARE = 0.05  # first descent from the rounded LP solution
IMPROVE_SHARE = 0.12  # then two iterated searches side by side on all pairs
LAG_SHARE = 0.10  # subgradient ascent
LAG_MAX_ITERATIONS = 5000
LAG_STALL = 60  # steps without a better bound before the step size halves
PROVE_SHARE = 0.80  # two CP-SAT runs side by side, when fixing leaves a provable problem
SEARCH_SHARE = 0.45  # two searches side by side, when it does not (typically type D)
EXACT_MORE_SHARE = 0.15  # CP-SAT deterministic time for the rounds after an improvement
DET_PER_SECOND = 1.0  # CP-SAT deterministic time units per second, two runs side by side (measured)
# Measured cost of one local-search iteration (one core): a fixed part plus the improvement
# graph (n^2), the chain labels (depth * beam * n, both families) and the insertion table (m n).
IT_FIXED_S = 2.0e-5
IT_GRAPH_S = 5.0e-9
IT_LABEL_S = 1.0e-8
IT_TABLE_S = 2.0e-9
# Knapsack dynamic programming: per subgradient step a fixed part plus the table cells.
DP_STEP_S = 1.0e-5
DP_CELL_S = 2.0e-10
ALPHA_UP = 0.1  # relative rise of an overloaded agent's penalty weight at a local optimum
ALPHA_DOWN = 0.1  # relative fall of all weights at a feasible local optimum
MAX_CHAIN = 10  # longest ejection chain / exchange cycle explored
BEAM = 30  # labels kept per chain depth in the first descent
ILS_BEAM = 10  # narrower in the iterated search: half the cost per step, as good in our tests
ILS_KICK = 0.04  # share of the jobs moved at random by a kick
# Searches without a proof keep the pairs whose Lagrangian penalty is at most this share of the gap.
FOCUS = 0.2
EXACT_NODE_LIMIT = 200  # HiGHS nodes per round; deterministic, unlike a time limit
EXACT_ROUNDS = 3  # each improvement tightens the fixing, so the next round is smaller
EXACT_SMALL = 600  # variables: small enough to always try to prove optimality
EXACT_PER_JOB = 4.0  # otherwise prove only when fixing leaves at most this many variables per job
MAX_DP_CELLS = 10_000_000  # knapsack tables (float64 cells) larger than this are not built
SIMPLEX_PAIRS = 50_000  # LP relaxations with more pairs use the interior-point method
MAX_SEARCH_JOBS = 5000  # the improvement graph is n x n; larger instances only get the exact phase
