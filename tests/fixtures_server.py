"""Shared fixtures for a real store backend (filled in by the storeserver work)."""
