"""The headless domain of phoner: models, services and rules. Never imports the TUI."""
