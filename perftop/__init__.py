"""perftop: a Linux performance monitor for the terminal, built for tuning.

The package's parts live in the repository's top-level folders and are linked here, so that the
checkout, the wheel and every tool (import-linter, the type checker, an editor) see one ``perftop``
tree: ``perftop.probes`` (``probes/``) reads the kernel, ``perftop.widgets`` (``widgets/``) draws,
``perftop.tui`` (``tui/``) is the App, its dialogs, the tuning module and the command line.
"""
