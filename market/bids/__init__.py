"""Bids: sealed offers of vendors on orders."""
