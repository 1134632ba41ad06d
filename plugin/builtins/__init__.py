"""Built-in plugins: each module is a set of ``@hookimpl`` functions, registered exactly like a
third-party plugin (see ``registry.BUILTIN_PLUGINS``). Defaults are ``trylast`` so plugins
installed by the user get the first say."""
