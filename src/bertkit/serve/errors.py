"""Every error the server answers is JSON `{"error": ..., "error_type": ...}` (TEI's shape)."""

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """An error answered to the client with `status`; `error_type` names its kind."""

    def __init__(self, status: int, message: str, error_type: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


def error_response(status: int, message: str, error_type: str) -> JSONResponse:
    return JSONResponse({"error": message, "error_type": error_type}, status_code=status)


def invalid(message: str) -> ApiError:
    """422: the request is well-formed HTTP but its content cannot be served."""
    return ApiError(422, message, "validation")
