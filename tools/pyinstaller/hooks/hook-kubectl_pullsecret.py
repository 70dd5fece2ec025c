"""PyInstaller hook for kubectl_pullsecret: modules its static analysis could miss.

PyInstaller follows `import` statements it can see in bytecode, including ones inside
functions, but not `importlib.import_module(...)` with computed names, and not modules that
nothing imports yet at build time. The CLI keeps start-up fast by importing the heavy modules
(the kubernetes client, yaml, tabulate) lazily; listing them here means a refactor that moves
one of those imports behind importlib, or a new lazily loaded submodule, cannot silently
produce a binary that only fails on the code path that needs it.
tests/packaging/test_frozen.py checks the frozen archive for every module named here.
"""

from PyInstaller.utils.hooks import collect_submodules

# Every module of the package, whether or not something imports it statically today.
_OWN = collect_submodules("kubectl_pullsecret")

# The lazily imported third-party entry points, and the parts of them the CLI touches.
_LAZY = [
    "kubernetes",
    "kubernetes.client",
    "kubernetes.client.rest",
    "kubernetes.client.exceptions",
    "kubernetes.config",
    "kubernetes.config.kube_config",
    "kubernetes.config.incluster_config",
    "yaml",
    "tabulate",
]

# rich (typer's help renderer) picks its unicode width table with import_module() by version
# string; pyinstaller-hooks-contrib covers this since rich 14.3, repeated here so an older
# contrib release cannot break `--help`.
_RICH = collect_submodules("rich._unicode_data")

hiddenimports = sorted({*_OWN, *_LAZY, *_RICH})
