"""Emitters: each turns a design into `{relative path: text}`; only the CLI writes files."""
