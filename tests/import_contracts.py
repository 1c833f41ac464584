"""A contract type for ``lint-imports`` (pyproject.toml names it; ``lint-imports`` imports it from the
repository root): modules that import another package's private modules.

Import-linter's own ``forbidden`` contract takes no ``textual._*`` (its wildcards stand for whole names
only, and of an external package it sees the top module alone), so this one reads the name of each module
imported: private when a part of it after the package's starts with ``_``.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class PrivateModulesContract(Contract):
    """``type = "private_modules"``: no module of ``source_modules`` (or below them) imports a private
    module of ``packages`` (``textual._compositor``, ``textual.widgets._data_table``) but the ``allowed``
    ones. Direct imports only: the public modules perftop imports import their package's private ones.
    Each of ``packages`` must be among the ``root_packages``, so that the graph has its modules."""

    source_modules = fields.ListField(subfield=fields.StringField())
    packages = fields.ListField(subfield=fields.StringField())
    allowed = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        importers: set[str] = set()
        for source in self.source_modules:
            importers |= {source, *graph.find_descendants(source)}
        broken = []
        for importer in sorted(importers - set(self.allowed)):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                package, *parts = imported.split(".")
                if package in self.packages and any(_private(part) for part in parts):
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = ", ".join(str(detail["line_number"]) for detail in details)
                    broken.append(f"{importer} -> {imported} (l. {lines})")
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["broken"]:
            output.print_error(line, bold=False)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")
