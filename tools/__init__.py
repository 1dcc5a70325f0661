# Pure Python helpers of the addon: nothing here imports Odoo, so their tests
# run without a database (see tools/tests).
from . import deadline
