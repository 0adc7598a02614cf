"""The programme's picture of itself: the figures of the coordinators' supply–demand dashboard."""
