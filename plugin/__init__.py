"""Host-agnostic core of minimax-cover: spec, schema, hooks, client, audio, sandbox, CLI.

Nothing here knows about ComfyUI. Submodules are imported on use, so importing the package
stays cheap.
"""
