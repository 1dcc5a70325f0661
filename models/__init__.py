from . import b2b_connection
from . import b2b_product_reference
from . import b2b_deadline_mixin
from . import b2b_deadline_line_mixin
from . import product_product
from . import product_template
from . import sale_order
from . import sale_order_line
