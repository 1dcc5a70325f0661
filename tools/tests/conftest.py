"""Load the addon's ``tools`` package on its own, without Odoo.

The addon root's ``__init__.py`` imports the Odoo models, so ``tools`` must
not be imported through the addon package. It is registered here under the
name ``b2b_dropship_tools`` instead; its modules use relative imports only,
so they behave the same under this name and under
``odoo.addons.b2b_dropship.tools``. This folder has no ``__init__.py`` on
purpose: with one, pytest would import the tests as part of the addon
package and run its ``__init__.py``.
"""

import importlib.util
import sys
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent.parent
PACKAGE_NAME = "b2b_dropship_tools"


def _load_tools_package():
    spec = importlib.util.spec_from_file_location(
        PACKAGE_NAME,
        TOOLS_DIR / "__init__.py",
        submodule_search_locations=[str(TOOLS_DIR)],
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE_NAME] = package
    spec.loader.exec_module(package)


if PACKAGE_NAME not in sys.modules:
    _load_tools_package()
