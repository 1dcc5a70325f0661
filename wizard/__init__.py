from . import b2b_reason_wizard
from . import b2b_csv_upload
from . import b2b_invite_retailer
from . import b2b_connection_refuse
from . import portal_wizard_user
from . import b2b_shipment_confirm
from . import b2b_shipment_confirm_line
from . import b2b_collection_sheet
