"""Monitoring the live models: what their score distributions should look like, and how far they drift."""
