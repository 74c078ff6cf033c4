"""The framework-free async OAuth client. Never imports Quart (a test checks this)."""
