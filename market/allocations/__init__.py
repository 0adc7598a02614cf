"""Allocations: match runs of the engine and the proposals coordinators approve or reject."""
