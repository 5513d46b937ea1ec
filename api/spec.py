"""The OpenAPI 3.1 document, generated from the views' pydantic models by spectree (docs/decisions.md says why
spectree). Request bodies and query strings are validated against the same models; a refusal is a problem-details
body (RFC 9457), as every other error of the API."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from api.problems import MEDIA_TYPE


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict] | None = Field(None, description="Invalid fields: where (loc) and what is wrong (msg).")


def _problem_on_invalid_request(_request, response, error, _instance, _adapter) -> None:
    """spectree's refusal of a request that does not fit the model, rewritten as problem details."""
    if error is None or response is None:
        return
    errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": e.get("msg", "")} for e in error.errors()]
    body = {"type": "about:blank", "title": "Unprocessable Content", "status": response.status_code,
            "detail": "The request does not fit the schema.", "errors": errors}
    response.set_data(json.dumps(body))
    response.mimetype = MEDIA_TYPE


spec = SpecTree(
    "flask", path="api/v1/openapi", title="Fælles Servicecenter API", version="1",
    description=("Devices, custody (who held which device when), citizens' courses, visits and tickets, for the "
                 "systems of regions, municipalities and monitoring platforms. Every call needs a bearer token "
                 "issued by the service centre's admin; its scopes decide the routes, its organisation the "
                 "citizens."),
    mode="strict", annotations=True, page_templates={}, validation_error_status=422,
    validation_error_model=Problem, before=_problem_on_invalid_request,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    security={"bearer": []},
)

ERRORS = {"HTTP_401": Problem, "HTTP_403": Problem, "HTTP_429": Problem}


class Responses(Response):
    """spectree's responses, with the errors declared as what they are: application/problem+json."""

    def generate_spec(self, *args, **kwargs) -> dict:
        generated = super().generate_spec(*args, **kwargs)
        for code, body in generated.items():
            if int(code) >= 400 and "application/json" in body.get("content", {}):
                body["content"] = {MEDIA_TYPE: body["content"]["application/json"]}
        return generated


def responses(ok: type[BaseModel] | None = None, *, status: int = 200, extra: tuple[int, ...] = ()) -> Response:
    """The responses a route declares: its success, the token's refusals, and the errors it can give (304: not
    modified, no body). A create (201) also answers 200 with what a retry with the same Idempotency-Key made."""
    codes = {f"HTTP_{status}": ok, **({"HTTP_200": ok} if status == 201 else {}), **ERRORS,
             **{f"HTTP_{code}": None if code == 304 else Problem for code in extra}}
    return Responses(**codes)
