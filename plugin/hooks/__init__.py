"""The plugin system: hook specifications, the hook vocabulary (types) and the registry."""
