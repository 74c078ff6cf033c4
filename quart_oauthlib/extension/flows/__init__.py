"""The login flows: OAuth 1, OAuth 2 and OpenID Connect."""
