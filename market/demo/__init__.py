"""Demo data: a reproducible Guizhou annotation programme for a first look (`market seed-demo`)."""
