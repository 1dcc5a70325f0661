from . import portal
from . import webhook
from . import api
