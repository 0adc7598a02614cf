"""Contracts: approved allocations, their milestones and delivered lots."""
