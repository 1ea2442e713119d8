"""The student client: `GET /client` says where the wheel is and how to install it; `GET /client/{filename}`
serves it. No token: a student installs the client before logging in."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from server.client_dist import BuiltWheel, ClientWheel
from server.errors import ClientNotAvailable, error_responses
from server.models import ClientInfo
from server.refusals import refusal

router = APIRouter(prefix="/client", tags=["client"])
WHEEL_MEDIA_TYPE = "application/zip"


def _wheel(request: Request) -> BuiltWheel:
    return cast(ClientWheel, request.app.state.client_wheel).get()


@router.get(
    "",
    response_model=ClientInfo,
    summary="Where the student client wheel is, and the pip command that installs it from this server",
    responses=error_responses(ClientNotAvailable),
)
def client_info(request: Request) -> ClientInfo:
    wheel = _wheel(request)
    path = request.url_for("client_wheel", filename=wheel.filename).path
    base = str(request.base_url).rstrip("/")
    # pip checks the #sha256= fragment against what it downloads.
    return ClientInfo(
        filename=wheel.filename,
        url=path,
        sha256=wheel.sha256,
        version=wheel.version,
        install=f'pip install "{base}{path}#sha256={wheel.sha256}"',
    )


@router.get(
    "/{filename}",
    name="client_wheel",
    response_class=FileResponse,
    summary="The student client wheel",
    responses={200: {"content": {WHEEL_MEDIA_TYPE: {}}}, **error_responses(ClientNotAvailable)},
)
def client_wheel(request: Request, filename: str) -> FileResponse:
    wheel = _wheel(request)
    if filename != wheel.filename:
        raise ClientNotAvailable(refusal("no_such_client_file", filename=wheel.filename))
    return FileResponse(wheel.path, media_type=WHEEL_MEDIA_TYPE, filename=wheel.filename)
