from . import b2b_reason_wizard
