"""``minimax-cover serve``: an HTTP JSON service with an OpenAPI 3.1 document, for hosts that
speak HTTP (n8n, Node-RED, Make, web back ends, a team's shared box).

On Starlette + uvicorn, in the ``[serve]`` extra; a thin face over the Python API. Modules:

- :mod:`.app`: the Starlette app (routes, auth, body limits, CORS).
- :mod:`.intake`: reading and checking a cover request (JSON or multipart upload).
- :mod:`.store`: the service's jobs (SQLite, beside the journal), idempotency keys.
- :mod:`.runner`: the pool that runs jobs through :func:`~..jobs.pipeline.cover`; restarts
  collect what was in flight.
- :mod:`.views`: the job document; :mod:`.callbacks`: signed completion callbacks.
- :mod:`.openapi`: the OpenAPI document, from the spec; :mod:`.docs`: the offline docs page.
"""
