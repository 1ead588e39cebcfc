"""Reference store backend (the shop's back office) for the agent workstation.

Public entry points: `storeserver.api.create_app`, `storeserver.seed.seed_demo`,
`storeserver.demodata.generate`, `storeserver.ops`, `storeserver.testing.serve_in_thread`,
and the `storeserver` command line (`storeserver.cli:main`).
"""
