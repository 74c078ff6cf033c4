"""Compliance fixes: hooks that make a non-standard provider look like RFC 6749.

Each ``<provider>_compliance_fix(session)`` registers hooks on an
:class:`~quart_oauthlib.OAuth2Session` and returns the session, as
requests-oauthlib's fixes do::

    session = facebook_compliance_fix(OAuth2Session(client_id, ...))

The Quart extension's provider presets apply them for you.
"""

from .douban import douban_compliance_fix
from .ebay import ebay_compliance_fix
from .facebook import facebook_compliance_fix
from .fitbit import fitbit_compliance_fix
from .instagram import instagram_compliance_fix
from .linkedin import linkedin_compliance_fix
from .mailchimp import mailchimp_compliance_fix
from .plentymarkets import plentymarkets_compliance_fix
from .slack import slack_compliance_fix
from .weibo import weibo_compliance_fix

__all__ = [
    "douban_compliance_fix",
    "ebay_compliance_fix",
    "facebook_compliance_fix",
    "fitbit_compliance_fix",
    "instagram_compliance_fix",
    "linkedin_compliance_fix",
    "mailchimp_compliance_fix",
    "plentymarkets_compliance_fix",
    "slack_compliance_fix",
    "weibo_compliance_fix",
]
