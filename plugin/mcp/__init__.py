"""``minimax-cover mcp``: the cover model as Model Context Protocol tools, for AI agent hosts.

Built on the official ``mcp`` SDK (2.x, ``MCPServer``), in the ``[mcp]`` extra; a thin face
over the Python API (:func:`~..jobs.aio.acover`, :func:`~..batch.api.cover_batch`, resume,
money). Modules:

- :mod:`.arguments`: the ``cover``/``price`` input schema (from the spec) and its reading.
- :mod:`.answers`: what a tool answers (text and structured content, resource links).
- :mod:`.tools`: the tools (``cover``, ``price``, ``batch``, ``job_status``, ``resume``,
  ``account``, ``spend``).
- :mod:`.server`: the server (tools, resources for takes and audition pages), run on stdio or
  streamable HTTP on loopback.

Nothing here is imported by the package unless the command runs.
"""
