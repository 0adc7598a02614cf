"""Pure matching engine: numpy arrays or problem files in, allocations out."""
