"""The OpenAPI 3.1 document of the service, generated from the spec (``GET /openapi.json``).

OpenAPI 3.1 embeds JSON Schema 2020-12, so the request body's schema *is* the spec's flat
schema (:func:`~..spec.flat.flat_schema`, rules included: ``numberResults`` 1–4,
``positivePrompt`` 10–300 characters...), and the full task object
(:func:`~..spec.schema.build_request_schema`) is there as ``CoverTask``.
"""

from __future__ import annotations

import copy
from typing import Any

from ..spec.flat import flat_schema
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.schema import build_request_schema
from .callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from .store import STATUSES

__all__ = ["build_openapi"]

_REF = "#/components/schemas/"
SONG_REFERENCE = ("The song: an http(s) URL or a media UUID. To send a file, use "
                  "multipart/form-data (a `song` file part and a `request` part holding this "
                  "JSON without `song`). Server-side paths are not accepted.")
CALLBACK = {"type": "string", "format": "uri", "pattern": "^https?://",
            "description": (f"Called once when the job ends (any final status): a POST of the "
                            f"job's document, signed: `{SIGNATURE_HEADER}: sha256=<hex>` is "
                            f"HMAC-SHA256 with the service's --callback-secret over "
                            f"`<{TIMESTAMP_HEADER}>.<raw body>`. Needs the service started "
                            "with --callback-secret. Not the spec's webhookURL (Runware's "
                            "per-result hook).")}


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(schema)
    out.pop("$schema", None)
    out.pop("$id", None)
    return out


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF + ref}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("Error")}


def _schemas(spec: ModelSpec) -> dict[str, Any]:
    request = _strip(flat_schema(spec, song={"type": "string", "minLength": 1,
                                             "description": SONG_REFERENCE},
                                 extra={"callbackURL": CALLBACK},
                                 title=f"{spec.name} job"))
    upload_request = copy.deepcopy(request)
    upload_request["properties"].pop("song")
    upload_request["required"] = [r for r in request["required"] if r != "song"]
    upload_request["title"] = f"{spec.name} job (with an uploaded song)"
    file_link = {"type": "object", "properties": {
        "n": {"type": "integer", "minimum": 1}, "url": {"type": "string"},
        "seed": {"type": ["integer", "null"]}, "cost": {"type": ["number", "null"]},
        "format": {"type": ["string", "null"]}}}
    job = {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES), "description": (
            "queued, running; succeeded (files saved); failed; canceled (DELETE; resumable); "
            "unknown (the task may have run: resumable, the CLI's exit 3); paid-not-saved "
            "(paid, a file not saved: resumable, the CLI's exit 5).")},
        "taskUUID": {"type": "string"}, "files": {"type": "array", "items": file_link},
        "seeds": {"type": "array", "items": {"type": ["integer", "null"]}},
        "seed": {"type": ["integer", "null"]}, "costTotal": {"type": ["number", "null"]},
        "sandbox": {"type": ["boolean", "null"]}, "resumable": {"type": "boolean"},
        "error": {"type": ["string", "null"]},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "createdAt": {"type": "number"}, "updatedAt": {"type": "number"}}}
    violation = {"type": "object", "properties": {
        "field": {"type": "string"}, "path": {"type": "string"}, "rule": {"type": "string"},
        "value": {"type": ["string", "null"]}, "message": {"type": "string"}}}
    error = {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"}, "type": {"type": "string"},
        "violations": {"type": "array", "items": {"$ref": _REF + "Violation"}}}}
    price = {"type": "object", "properties": {
        "priceUsd": {"type": ["number", "null"]}, "price": {"type": "string"},
        "numberResults": {"type": "integer"}, "priceSource": {"type": ["string", "null"]},
        "sandbox": {"type": "boolean"}, "dryRun": {"const": True}}}
    return {"CoverRequest": request, "CoverUploadRequest": upload_request,
            "CoverTask": _strip(build_request_schema(spec)), "Job": job,
            "Violation": violation, "Error": error, "Price": price,
            "Account": {"type": "object", "description": "Balance, today's spend, caps."},
            "Spend": {"type": "object", "description": "Jobs sent, costs, totals by day."}}


def _cover_body() -> dict[str, Any]:
    return {"required": True, "content": {
        "application/json": {"schema": {"$ref": _REF + "CoverRequest"}},
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["song", "request"], "properties": {
                "song": {"type": "string", "contentMediaType": "application/octet-stream",
                         "description": "The song file (WAV, FLAC, MP3, OGG; 6 s to 6 min)."},
                "request": {"$ref": _REF + "CoverUploadRequest"}}},
            "encoding": {"request": {"contentType": "application/json"}}}}}


def build_openapi(spec: ModelSpec = MINIMAX_MUSIC_COVER, *, version: str = "0") -> dict[str, Any]:
    """The service's OpenAPI 3.1 document."""
    job_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    idem = {"name": "Idempotency-Key", "in": "header", "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "A retried POST with the same key is the same job (paid once)."}
    invalid = _error("The request breaks the spec: each field, rule and value; nothing sent.")
    price_note = (f" Costs ${spec.price_per_result_usd:.2f} per take (numberResults) at list "
                  "price." if spec.price_per_result_usd is not None else "")
    paths: dict[str, Any] = {
        "/v1/covers": {"post": {
            "operationId": "createCover", "summary": "Start a cover job (202 at once)",
            "description": "Validates the request, then runs the job in the background; poll "
                           "GET /v1/covers/{id}." + price_note,
            "parameters": [idem], "requestBody": _cover_body(),
            "responses": {"202": {"description": "Accepted", "content": _json("Job")},
                          "401": _error("Missing or wrong bearer token."),
                          "413": _error("Body too large."), "422": invalid}}},
        "/v1/covers:price": {"post": {
            "operationId": "priceCover", "summary": "Price a cover without running it",
            "description": "A dry run: nothing is uploaded to the model, run or charged.",
            "requestBody": _cover_body(),
            "responses": {"200": {"description": "The price", "content": _json("Price")},
                          "401": _error("Missing or wrong bearer token."), "422": invalid}}},
        "/v1/covers/{id}": {
            "get": {"operationId": "getCover", "summary": "A job's status and files",
                    "parameters": [job_id],
                    "responses": {"200": {"description": "The job", "content": _json("Job")},
                                  "404": _error("No such job.")}},
            "delete": {"operationId": "cancelCover",
                       "summary": "Cancel a job (it stays resumable)",
                       "parameters": [job_id],
                       "responses": {"202": {"description": "Cancelling",
                                             "content": _json("Job")},
                                     "404": _error("No such job.")}}},
        "/v1/covers/{id}/resume": {"post": {
            "operationId": "resumeCover",
            "summary": "Collect a canceled, unknown or paid-not-saved job (never pays twice)",
            "parameters": [job_id],
            "responses": {"202": {"description": "Queued again", "content": _json("Job")},
                          "404": _error("No such job."),
                          "409": _error("The job is not resumable.")}}},
        "/v1/covers/{id}/files/{n}": {"get": {
            "operationId": "getCoverFile", "summary": "A saved take (n from 1)",
            "parameters": [job_id, {"name": "n", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "The audio file",
                                  "content": {"audio/*": {"schema": {
                                      "type": "string",
                                      "contentMediaType": "application/octet-stream"}}}},
                          "404": _error("No such job or file.")}}},
        "/v1/account": {"get": {"operationId": "getAccount",
                                "summary": "Balance, today's spending, caps",
                                "responses": {"200": {"description": "The account",
                                                      "content": _json("Account")}}}},
        "/v1/spend": {"get": {
            "operationId": "getSpend", "summary": "What was spent, from the journal",
            "parameters": [{"name": "since", "in": "query", "required": False,
                            "schema": {"type": "string"},
                            "description": "YYYY-MM-DD, today, yesterday or Nd"}],
            "responses": {"200": {"description": "Receipts", "content": _json("Spend")},
                          "422": invalid}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": f"minimax-cover service: {spec.name}", "version": version,
                 "description": (
                     f"{spec.description} Jobs run against Runware's {spec.model_id} (or the "
                     "local sandbox without a key, said in each job's `sandbox`). Generated "
                     "from the project's parameter spec.")},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": _schemas(spec), "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "Required when the service runs with --token."}}},
        "security": [{}, {"bearer": []}],
    }
