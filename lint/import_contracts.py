"""An import-linter contract that import-linter does not ship: modules that may
import nothing but the standard library and each other.

``domain/`` holds the plugin's rules as pure functions (the house style's
functional core); a forbidden contract would have to name every package that must
not be imported, and would let a new one through. This one names what is allowed.
"""

import sys

import grimp
from importlinter import Contract, ContractCheck, fields, output


class StandardLibraryOnlyContract(Contract):
    """Each of ``source_modules`` (with its descendants) imports only the
    standard library and modules inside the same source modules."""

    type_name = "standard_library_only"

    source_modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources = {module.name for module in self.source_modules}
        inside = set(sources)
        for source in sources:
            inside |= graph.find_descendants(source)
        outside = []
        for importer in sorted(inside):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                top_level = imported.partition(".")[0]
                if imported in inside or top_level in sys.stdlib_module_names:
                    continue
                for details in graph.get_import_details(
                    importer=importer, imported=imported
                ):
                    outside.append(
                        {
                            "importer": importer,
                            "imported": imported,
                            "line_number": details["line_number"],
                        }
                    )
                if not graph.get_import_details(importer=importer, imported=imported):
                    outside.append(
                        {"importer": importer, "imported": imported, "line_number": 0}
                    )
        return ContractCheck(kept=not outside, metadata={"outside": outside})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["outside"]:
            where = f" (l. {item['line_number']})" if item["line_number"] else ""
            output.print_error(
                f"{item['importer']} imports {item['imported']}{where}, which is "
                "neither the standard library nor inside "
                + ", ".join(module.name for module in self.source_modules)
                + ".",
                bold=False,
            )
            output.new_line()
