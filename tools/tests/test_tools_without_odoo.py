"""Every module of tools/ must load where Odoo cannot be imported."""

import subprocess
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
TOOLS_DIR = TESTS_DIR.parent
ADDON_INIT = TOOLS_DIR.parent / "__init__.py"

# Run in a fresh interpreter that refuses to import Odoo, so that the check
# holds even where Odoo is installed, as on a development machine.
PROGRAM = """
import importlib, importlib.abc, runpy, sys

class RefuseOdoo(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "odoo" or name.startswith("odoo."):
            raise ImportError("Odoo is not importable in this test")

sys.meta_path.insert(0, RefuseOdoo())
runpy.run_path(sys.argv[1])
for module_name in sys.argv[3:]:
    importlib.import_module("b2b_dropship_tools." + module_name)
loaded = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
assert sys.argv[2] not in loaded, "the addon's __init__.py was executed"
"""


def test_tools_load_without_odoo_and_without_the_addon_package():
    module_names = sorted(path.stem for path in TOOLS_DIR.glob("[!_]*.py"))
    assert "deadline" in module_names
    command = [sys.executable, "-I", "-c", PROGRAM, str(TESTS_DIR / "conftest.py")]
    command += [str(ADDON_INIT), *module_names]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
