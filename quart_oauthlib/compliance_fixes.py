"""``from quart_oauthlib.compliance_fixes import facebook_compliance_fix``, as in requests-oauthlib.

The fixes live in :mod:`quart_oauthlib.client.compliance_fixes`; this module
only re-exports them.
"""

from .client.compliance_fixes import *  # noqa: F403 -- a re-export, by design
from .client.compliance_fixes import __all__ as __all__
