"""Import and discovery over the API: ``POST /cmdb/import`` and ``POST /cmdb/discovery``.

Both read the request body themselves, up to ``importing.MAX_MB`` (the usual request limit is
smaller than an inventory of 10,000 items), and both need ``cmdb.manage_cis``. Their request
bodies are documented in OpenAPI from the schemas in ``upsert.schemas``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError

from watchkeeper.cmdb.discovery import DiscoveryRefused, run_discovery
from watchkeeper.cmdb.importing import (
    MAX_BYTES,
    ImportFile,
    ImportResult,
    read_upload,
    run_import,
    too_large,
)
from watchkeeper.cmdb.permissions import CmdbPermission as P
from watchkeeper.cmdb.upsert.entries import Problem
from watchkeeper.cmdb.upsert.schemas import (
    DiscoveryErrorOut,
    DiscoveryIn,
    DiscoveryOut,
    ImportDocument,
    ImportErrorOut,
    ImportOut,
)
from watchkeeper.core.api import caller, requires
from watchkeeper.incidents.api_schemas import ConflictOut, ErrorOut

router = Router(by_alias=True)  # the tag comes from the parent CMDB router
#: Problems and rows an answer lists; the counts say how many there are in all.
REPORT_LIMIT = 1000
TRUE = ("1", "true", "on", "yes")


def inline_schema(model: Any) -> dict[str, Any]:
    """``model``'s JSON schema with its definitions written in place, for a request body that
    the operation reads itself (OpenAPI resolves ``#/$defs/…`` against its own document)."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return dict(resolve(schema))


def _body(request: HttpRequest) -> bytes:
    """The raw body, refused (413) above the import limit before it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BYTES:
        raise HttpError(413, too_large("The request", length))
    data = request.body if hasattr(request, "_body") else request.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HttpError(413, too_large("The request", len(data)))
    return data


def _problem_out(problem: Problem) -> dict[str, Any]:
    where = problem.where
    return {
        "where": where.label() if where else "file",
        "part": where.part if where else "file",
        "line": where.index if where else None,
        "field": problem.field,
        "problem": problem.problem,
    }


DISCOVERY_BODY = {
    "required": True,
    "content": {"application/json": {"schema": inline_schema(DiscoveryIn)}},
}


@router.post(
    "/cmdb/discovery",
    response={
        200: DiscoveryOut,
        400: DiscoveryErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: DiscoveryErrorOut,
    },
    operation_id="discover_cis",
    summary="Upsert what an inventory script saw (idempotent)",
    description=(
        "Items are matched by number, serial number, hostname, or class and name (docs/"
        "cmdb-import.md); fields not sent are left as they are. Sending the same inventory again "
        "changes nothing. Any problem refuses the whole inventory, naming `items[3].field`."
    ),
    openapi_extra={"requestBody": DISCOVERY_BODY},
)
@requires(P.MANAGE_CIS)
def discover(request: HttpRequest) -> Any:
    data = _body(request)
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        problem = f"body: not valid JSON ({str(error)[:200]})"
        return Status(422, {"detail": problem, "problems": []})
    try:
        result = run_discovery(document, acting_user=caller(request))
    except DiscoveryRefused as refused:
        problems = [_problem_out(problem) for problem in refused.problems[:REPORT_LIMIT]]
        return Status(refused.status, {"detail": str(refused), "problems": problems})
    return result


IMPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "CSV or JSON"},
                    "relations": {
                        "type": "string",
                        "format": "binary",
                        "description": "CSV with the header source,type,target",
                    },
                    "dry_run": {"type": "boolean", "default": False},
                },
            }
        },
        "application/json": {"schema": inline_schema(ImportDocument)},
        "text/csv": {"schema": {"type": "string"}},
    },
}


@router.post(
    "/cmdb/import",
    response={
        200: ImportOut,
        400: ImportErrorOut,
        403: ErrorOut,
        409: ConflictOut,
        413: ErrorOut,
        415: ErrorOut,
        422: ErrorOut,
    },
    operation_id="import_cis",
    summary="Import items and relations from CSV or JSON, or check them (dry_run)",
    description=(
        f"Upload `file` (and a relations CSV as `relations`) as multipart, or send the JSON or "
        f"CSV itself as the body; at most {MAX_BYTES // 1024 // 1024} MB. With `dry_run` "
        "nothing is written: the answer is the report and what would change. A real run "
        "writes only a file without problems, all of it or nothing (else 400 with the report)."
    ),
    openapi_extra={"requestBody": IMPORT_BODY},
)
@requires(P.MANAGE_CIS)
def import_cis(request: HttpRequest, dry_run: bool = False) -> Any:
    files = _files(request)
    dry_run = dry_run or str(request.POST.get("dry_run", "")).lower() in TRUE
    result = run_import(files, acting_user=caller(request), dry_run=dry_run)
    answer = _import_out(result)
    if not result.dry_run and not result.ok:
        shown = "; ".join(problem.text() for problem in result.problems[:20])
        answer["detail"] = f"Nothing was imported: {shown}"
        return Status(400, answer)
    return answer


def _files(request: HttpRequest) -> list[ImportFile]:
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Upload the file to import as the field 'file'."})
        files = [read_upload(upload)]
        if (relations := request.FILES.get("relations")) is not None:
            files.append(read_upload(relations))
        return files
    if content_type in ("application/json", "text/csv"):
        return [ImportFile("The request body", _body(request), content_type.split("/")[1])]
    raise HttpError(415, "Send multipart/form-data with 'file', or JSON or CSV as the body.")


def _import_out(result: ImportResult) -> dict[str, Any]:
    return {
        "dry_run": result.dry_run,
        "applied": result.applied,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "relations_created": result.relations_created,
        "relations_existing": result.relations_existing,
        "problems": [_problem_out(problem) for problem in result.problems[:REPORT_LIMIT]],
        "problems_total": len(result.problems),
        "rows": [row.__dict__ for row in result.rows[:REPORT_LIMIT]],
        "rows_total": len(result.rows),
    }
