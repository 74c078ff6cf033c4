"""The command line, run as a real process."""
