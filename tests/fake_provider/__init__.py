"""Real providers served over HTTP(S) on 127.0.0.1 for the tests.

Each one verifies what the client sends with oauthlib's *server* side, so a
test passes only when code we did not write agrees with our client.
"""
