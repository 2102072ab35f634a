"""The packages to install: everything under scenespec/, plus scenespec.specs, which is the repository's specs/.

The specs stay at the top of the repository (the README, the gallery and the tests name specs/...), yet an install
must carry them for `scenespec render scenespec:linreg` (scenespec/packages.py). setuptools maps a package onto
another folder with `package_dir`; pyproject.toml's `packages.find` cannot add such a mapped package to what it
finds, so the list is made here. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["scenespec*"]), "scenespec.specs", "scenespec.specs.data"],
    package_dir={"scenespec.specs": "specs"},
)
