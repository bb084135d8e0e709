"""The HTTP routes, one small module per resource.

Every public module of this package that defines `routes(services)` contributes its routes,
and its `OPENAPI_PATHS` / `OPENAPI_COMPONENTS` to /openapi.json. To add endpoints, add a
module here; nothing else has to change.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from starlette.routing import BaseRoute

from bookiji_entry.bootstrap import Services


def route_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "routes"):
            found.append(module)
    return found


def routes(services: Services) -> list[BaseRoute]:
    collected: list[BaseRoute] = []
    for module in route_modules():
        collected.extend(module.routes(services))
    return collected
