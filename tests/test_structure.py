"""The one-way structure, read from the source: webapi never imports the workers or the bot, the bot
takes only the helpers webapi shares, no package has an import cycle, and every job resolves."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from webapi import jobs

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("webapi", "workers", "telebot_app", "telegram_sandbox")
# What the bot legitimately shares with the backend: settings, logging with secrets redacted (and error
# tracking, scrubbed by the same rules), the
# minting of its own short-lived API tokens (with the shared JWT secret), the bot token's one
# rate limiter (a 429 wait holds replies and mailings alike), and what a tag and a language code are
# (so the bot names the very line or word of a typed audience or a CSV the API would refuse).
SHARED_WITH_THE_BOT = {
    "webapi.settings",
    "webapi.logs",
    "webapi.error_tracking",
    "webapi.tokens",
    "webapi.telegram.rate_limiter",
    "webapi.role_notices",
    "webapi.segments",
}
# The tools around the backend for a machine with only Python (`make run`) start the sandbox.
MAY_IMPORT_THE_SANDBOX = {"webapi.local.stack"}


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = {name: path for package in PACKAGES for name, path in _modules(package).items()}


def _imports(name: str, top_level_only: bool = False) -> set[str]:
    """The project modules `name` imports (anywhere in it, or only at its top level)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from webapi.services import ledger` imports a module; `from x import y` a name of x.
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {module for module in found if module.split(".")[0] in PACKAGES}


def test_webapi_never_imports_the_workers_or_the_bot():
    wrong = {
        name: sorted(
            module for module in _imports(name) if module.split(".")[0] in ("workers", "telebot_app")
        )
        for name in MODULES
        if name.split(".")[0] == "webapi"
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_only_the_local_tools_import_the_sandbox():
    importers = {
        name
        for name in MODULES
        if name.split(".")[0] in ("webapi", "workers", "telebot_app")
        and any(module.startswith("telegram_sandbox") for module in _imports(name))
    }
    assert importers <= MAY_IMPORT_THE_SANDBOX


def test_the_bot_takes_from_webapi_only_what_it_shares():
    taken = {
        module
        for name in MODULES
        if name.split(".")[0] == "telebot_app"
        for module in _imports(name)
        if module.split(".")[0] == "webapi"
    }
    assert taken <= SHARED_WITH_THE_BOT
    assert not any(
        module.startswith("workers")
        for name in MODULES
        if name.startswith("telebot_app")
        for module in _imports(name)
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles_inside_a_package(package):
    graph = {
        name: {module for module in _imports(name, top_level_only=True) if module.split(".")[0] == package}
        for name in MODULES
        if name.split(".")[0] == package
    }
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            # Importing a submodule runs its package's __init__ first: that edge is not a cycle.
            if node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target] if target in path else [node, target])
            elif target in graph and state.get(target) is None:
                visit(target, [*path, target])
        state[node] = 2

    for start in sorted(graph):
        if state.get(start) is None:
            visit(start, [start])
    assert cycles == []


@pytest.mark.parametrize("kind", jobs.ALL, ids=lambda kind: kind.func)
def test_every_job_in_the_table_resolves(kind):
    module, _, function = kind.func.rpartition(".")
    assert callable(getattr(importlib.import_module(module), function))
    assert kind.queue in (jobs.BROADCAST_QUEUE, jobs.DEFAULT_QUEUE) and kind.timeout > 0
