"""Bot API parameters from any request style, and Bot API errors with Telegram's texts."""

import json

from aiohttp import web


class BotApiError(Exception):
    """An error answer: ``{"ok": false, "error_code", "description", "parameters"?}``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        """The JSON body Telegram sends for this error."""
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str, parameters: dict | None = None) -> BotApiError:
    """A 400 with ``Bad Request: <detail>``."""
    return BotApiError(400, f"Bad Request: {detail}", parameters)


async def read_params(request: web.Request) -> dict:
    """Merge query string, urlencoded form, multipart form and JSON body into one dict.

    Values from the query string and forms are strings; uploaded files are aiohttp FileFields.
    """
    params = dict(request.query) if request.query_string else {}
    if request.method != "POST" or not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as error:
            raise bad_request("can't parse JSON object") from error
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        params.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update(form.items())
    return params


def text_param(params: dict, name: str) -> str | None:
    """A parameter as a string (numbers given in JSON become their text)."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def int_param(params: dict, name: str, default: int | None = None) -> int | None:
    """An integer parameter; a present but unreadable one is a Bad Request."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError as error:
        raise bad_request(f"invalid {name} specified") from error


def bool_param(params: dict, name: str) -> bool:
    """A boolean parameter: true/1 (any case) or JSON true."""
    value = params.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value) if isinstance(value, int) else False


def json_param(params: dict, name: str, what: str) -> object | None:
    """A JSON-typed parameter, given as a JSON string or (in a JSON body) as the value itself."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise bad_request(f"can't parse {what} JSON object") from error
    if isinstance(value, dict | list):
        return value
    raise bad_request(f"can't parse {what} JSON object")


def chat_id_param(params: dict, name: str = "chat_id") -> int:
    """The chat id: required; '@username' or a non-number is a chat that cannot be found."""
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError as error:
        raise bad_request("chat not found") from error
