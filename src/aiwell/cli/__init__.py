"""The `aiwell` command line."""
