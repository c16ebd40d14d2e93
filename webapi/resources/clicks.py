"""Click links: `GET /r/<token>` counts a recipient's click on a URL button and forwards them to its link.

It is open, with no bearer token: whoever clicks is a subscriber in a browser, not a client of the
API. The token itself is the credential: signed by the server and naming one mailing, one of its
buttons and one recipient (encrypted), so it can count only that recipient's click on that button,
once (`webapi/click_links.py`). Anything else is 404.
"""

import marshmallow as ma
from flask import current_app, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint

from webapi.click_links import PATH, ClickKeys
from webapi.domain import NotFound
from webapi.errors import ErrorSchema
from webapi.services import clicks

blp = Blueprint(
    "clicks", __name__, description="Click links: URL buttons of mailings, counted and forwarded."
)

# The destination must not learn the link (the Referer), and no cache may answer a click for us.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class NoSuchLink(NotFound):
    """No button this link could be: never ours, changed, or its mailing is gone."""

    def __init__(self) -> None:
        super().__init__("No such link.")


def _keys() -> ClickKeys:
    keys = current_app.extensions.get("click_keys")
    if keys is None:
        keys = ClickKeys.from_secret(current_app.config["SETTINGS"].jwt_secret_key)
        current_app.extensions["click_keys"] = keys
    return keys


@blp.route(PATH + "<string:token>")
class ClickLink(MethodView):
    """A button's click link."""

    @blp.doc(security=[])
    @blp.response(
        302,
        description="Counted (once per recipient and button) and forwarded to the button's link",
        headers={"Location": {"description": "The button's link", "schema": {"type": "string"}}},
    )
    @blp.alt_response(404, schema=ErrorSchema, description="No such link: not ours, changed, or gone")
    def get(self, token):
        """Count a recipient's click on a mailing's URL button and forward them to the button's link."""
        click = _keys().read(token)
        if click is None:
            raise NoSuchLink()
        # A HEAD (a link checker, a preview) forwards the same way but counts nothing.
        url = clicks.follow(click.mailing_id, click.position, click.user_id, count=request.method == "GET")
        if url is None:
            raise NoSuchLink()
        response = redirect(url, 302)
        response.headers.update(HEADERS)
        return response


class ButtonClicksSchema(ma.Schema):
    """One URL button's clicks."""

    position = ma.fields.Integer(required=True, metadata={"description": "The button's place, from 0"})
    text = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"description": "The button's link as written"})
    clicks = ma.fields.Integer(required=True, metadata={"description": "Recipients who clicked it"})
    rate = ma.fields.Float(required=True, metadata={"description": "clicks / sent (0 before any is sent)"})


class ClicksSchema(ma.Schema):
    """Clicks on a mailing's URL buttons (http(s) links; tg:// links open in Telegram, uncounted)."""

    buttons = ma.fields.List(ma.fields.Nested(ButtonClicksSchema), required=True)
    total = ma.fields.Integer(
        required=True,
        metadata={"description": "The buttons' clicks added up (a recipient may click several)"},
    )
