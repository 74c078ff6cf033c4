"""The quart-oauthlib example: a Quart app with "Sign in with ..." buttons.

Run it with ``python -m example_app``. With no configuration it signs in
against :mod:`example_app.dev_provider`, a bundled OAuth 2 provider FOR
DEVELOPMENT ONLY, so the whole login works on a machine with no account
anywhere. Real providers (GitHub, Google, ...) appear when their client
credentials are in the environment or a ``.env`` file.
"""
