"""The README's ``python`` code blocks, extracted and run as written.

:func:`python_block` finds the block under a ``## heading`` of README.md, so that a changed
README changes what the tests run (and a broken example fails them). :func:`run_snippet`
executes a block statement by statement in one namespace, the way a user pastes it into
``python -m asyncio``: a statement with ``await``/``async with``/``async for`` runs on the
test's event loop, any other statement in a worker thread (so a blocking call such as
``ApiClient`` or ``UserDataStream.sync`` does not stall the simulator serving it).

The only substitutions, so that the examples terminate against the simulator: a ``...``
placeholder statement inside a loop becomes ``break`` (the loop runs once), and the caller may
replace placeholder strings (such as ``"/path/to/private_key.pem"``). Configuration comes from
the namespace or the environment the caller sets up, exactly as in the README.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"


def python_block(heading: str, index: int = 0) -> str:
    """The ``index``-th ```` ```python ```` block of the README section titled ``heading``."""
    text = README.read_text()
    sections = re.split(r"^## ", text, flags=re.M)
    section = next((s for s in sections if s.startswith(heading + "\n")), None)
    assert section is not None, f"README.md has no section '## {heading}'"
    blocks = re.findall(r"^```python\n(.*?)^```", section, flags=re.S | re.M)
    assert len(blocks) > index, f"README.md section '{heading}' has no python block {index}"
    return str(blocks[index])


class _PlaceholderToBreak(ast.NodeTransformer):
    """``...`` as a statement inside a ``for``/``async for``/``while`` -> ``break``."""

    def __init__(self) -> None:
        self.depth = 0

    def _loop(self, node: ast.AST) -> ast.AST:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    visit_For = visit_AsyncFor = visit_While = _loop

    def _scope(self, node: ast.AST) -> ast.AST:  # a function body is not inside the loop
        depth, self.depth = self.depth, 0
        self.generic_visit(node)
        self.depth = depth
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scope

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if self.depth and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis:
            return ast.copy_location(ast.Break(), node)
        return node


def statements(source: str) -> list[ast.Module]:
    """The block's top-level statements, each as a module, placeholders in loops -> break."""
    tree = compile(source, str(README), "exec",
                   flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    assert isinstance(tree, ast.Module)
    tree = ast.fix_missing_locations(_PlaceholderToBreak().visit(tree))
    return [ast.Module(body=[stmt], type_ignores=[]) for stmt in tree.body]


async def run_snippet(
    source: str,
    namespace: dict[str, Any],
    *,
    alongside: Callable[[ast.stmt], Awaitable[bool | None]] | None = None,
) -> None:
    """Run ``source`` statement by statement in ``namespace``.

    ``alongside(statement)``, if given, runs concurrently with each asynchronous statement
    (to drive the simulator while the example waits for something to happen); it is
    cancelled when the statement finishes. A driver that returns ``True`` ends the statement
    instead, as Ctrl-C would: for a loop meant to wait for new data forever (``follow``).
    """
    for module in statements(source):
        code = compile(module, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if not code.co_flags & inspect.CO_COROUTINE:
            await asyncio.to_thread(exec, code, namespace)
            continue
        task = asyncio.ensure_future(eval(code, namespace))
        driver = asyncio.ensure_future(alongside(module.body[0])) if alongside else None
        try:
            if driver is not None:
                await asyncio.wait({task, driver}, return_when=asyncio.FIRST_COMPLETED)
                if not task.done() and driver.done() and driver.result() is True:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    continue
            await task
        finally:
            if driver is not None:
                driver.cancel()
                await asyncio.gather(driver, return_exceptions=True)
