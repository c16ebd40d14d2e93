"""The bot's half of a browser test: plain HTTP calls to the sandbox Bot API, and page helpers."""

import json
import time

import requests


class BotSide:
    """Call Bot API methods and wait for updates the way a bot would."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.session = requests.Session()
        self.offset = 0

    def call(self, method: str, files: dict | None = None, **params) -> object:
        """Call a method; assert it succeeded and return its result."""
        for key, value in params.items():
            if isinstance(value, dict | list):
                params[key] = json.dumps(value)
        response = self.session.post(
            f"{self.url}/bot{self.token}/{method}", data=params, files=files, timeout=10
        )
        answer = response.json()
        assert answer["ok"], answer
        return answer["result"]

    def next_update(self, kind: str, timeout: float = 10.0) -> dict:
        """Long-poll getUpdates until an update of ``kind`` arrives (others are confirmed and skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            updates = self.call("getUpdates", offset=self.offset, timeout=max(1, int(left)))
            for update in updates:
                self.offset = update["update_id"] + 1
                if kind in update:
                    return update[kind]
        raise AssertionError(f"no {kind} update within {timeout}s")

    def download(self, file_id: str) -> bytes:
        """getFile, then the bytes from /file/bot<token>/<file_path>."""
        path = self.call("getFile", file_id=file_id)["file_path"]
        response = self.session.get(f"{self.url}/file/bot{self.token}/{path}", timeout=10)
        assert response.ok, response.text
        return response.content


def open_chat(page, user_id: int) -> None:
    """Find a user in the page's list by id and open the chat with them."""
    page.get_by_test_id("user-search").fill(str(user_id))
    page.locator(f'[data-testid="user-item"][data-user-id="{user_id}"]').click()


def message(page, message_id: int):
    """The page's element of one chat message."""
    return page.locator(f'[data-testid="chat-message"][data-message-id="{message_id}"]')


def wait_image_loaded(page, locator) -> None:
    """Wait until an <img> finished loading with real pixels."""
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=locator.element_handle())
