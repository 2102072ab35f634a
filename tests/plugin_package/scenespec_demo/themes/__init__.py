"""The package's themes: `theme = "demo:NAME"` is NAME.toml in this folder."""
