from . import b2b_reason_wizard
from . import b2b_csv_upload
