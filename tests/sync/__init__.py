"""Sync client, puller and loop against a real store backend over loopback HTTP."""
