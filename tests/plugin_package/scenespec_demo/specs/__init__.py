"""The package's specs: `demo:NAME` is NAME.toml (or NAME.json) in this folder."""
