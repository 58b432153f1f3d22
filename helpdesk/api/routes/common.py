"""The v1 router every resource module adds its routes to."""

from fastapi import APIRouter

from helpdesk.api.schemas import ErrorBody

ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
