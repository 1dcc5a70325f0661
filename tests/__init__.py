from . import test_connection
from . import test_expiry
from . import test_receive
from . import test_requests
from . import test_transitions
from . import test_install
from . import test_csv_import
from . import test_dashboard
