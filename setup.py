"""The package build compiles the translation catalogs (locale/*/LC_MESSAGES/*.po)
into the .mo files Django reads, so that only the .po sources are kept in git.

Everything else about the package is in pyproject.toml.
"""

from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "saleor_cs_plugin" / "locale"


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each catalog's .mo beside its .po; returns the .mo files written.

    Fuzzy entries are left out, as gettext's msgfmt leaves them out.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


if __name__ == "__main__":
    # Imported here: bin/catalogs reads compile_catalogs without setuptools.
    from setuptools import setup
    from setuptools.command.build_py import build_py

    class BuildWithCatalogs(build_py):
        """build_py that compiles the catalogs first (in the source tree, so that
        an editable install reads them too); package data is gathered after."""

        def run(self):
            compile_catalogs()
            super().run()

    setup(cmdclass={"build_py": BuildWithCatalogs})
