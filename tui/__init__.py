"""The perftop application: App, screens, bindings, CLI and tuning."""
