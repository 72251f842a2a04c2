"""Periodic jobs and their wiring."""
