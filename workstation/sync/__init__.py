"""Store backend client, page puller and sync loop (no Qt; see docs/CLIENT-API.md)."""
