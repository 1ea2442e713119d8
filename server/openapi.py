"""The published OpenAPI schema, completed with the answers no route declares itself because something in
front of it gives them:

- the ingress guard (server.ingress.guard): 413 (over the route's budget) and 408 (a trickling body) on every
  operation with a request body; 401/403 on the uploads it authenticates before reading them;
- a database that is down or saturated: 503 with Retry-After on every operation that uses it.

Derived from the same table the guard applies (server.ingress.budgets) and from each route's dependencies, so
the schema stays true when a route is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from server.deps import get_session
from server.errors import (
    AppError,
    DatabaseUnavailable,
    Forbidden,
    PayloadTooLarge,
    RequestTimeout,
    Unauthorized,
    describe_errors,
    status_headers,
)
from server.ingress.budgets import rule_for
from server.models import ErrorBody

ERROR_BODY_REF = "#/components/schemas/ErrorBody"


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _answers(route: RouteContext, method: str, has_body: bool) -> list[type[AppError]]:
    """What answers this operation without the route being asked."""
    errors: list[type[AppError]] = []
    if has_body:
        errors += [PayloadTooLarge, RequestTimeout]
    if rule_for(method, str(route.path_format)).access is not None:
        errors += [Unauthorized, Forbidden]
    if get_session in _calls(route.dependant):
        errors.append(DatabaseUnavailable)
    return errors


def _add(operation: dict[str, Any], errors: list[type[AppError]]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    for status, errs in by_status.items():
        if str(status) in responses:
            continue  # the route declares it already, with its own description
        entry: dict[str, Any] = {"description": describe_errors(errs),
                                 "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}}}
        if status_headers(status):
            entry["headers"] = status_headers(status)
        responses[str(status)] = entry


def complete_schema(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema or not route.path_format:
            continue
        path_item = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is not None:
                _add(operation, _answers(route, method, "requestBody" in operation))
    return schema


def install_openapi(app: FastAPI) -> None:
    """app.openapi() returns the completed schema (built once, as FastAPI does)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_schema(app, build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
