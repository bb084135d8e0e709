"""The HTTP routes, one small module per resource.

Every public module of this package that defines `routes(...)` contributes its routes (the
composition root calls it with what its parameters name by type), and its `OPENAPI_PATHS` /
`OPENAPI_COMPONENTS` to /openapi.json. To add endpoints, add a module here; a class of what
its handlers use is registered in the composition root.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def route_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "routes"):
            found.append(module)
    return found
