"""The HTTP routes, one small module per resource.

Every public module of this package declares its `OPERATIONS` (`_spec.Operation`: method,
path, roles, the shapes it takes and answers with, its problems) and a `routes(...)` that binds
them (the composition root calls it with what its parameters name by type); /openapi.json is
generated from the same declarations. To add endpoints, add a module here (docs/architecture.md,
"How a route is declared"); a class of what its handlers use is registered in the root.
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
