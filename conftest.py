"""Repository-wide pytest plugins (this file is loaded for ``tests/`` and for ``notebooks/`` under nbval)."""

pytest_plugins = ["tests.hygiene"]  # the notebooks' kernels run under the runtime-hygiene guard
