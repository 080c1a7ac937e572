"""`python -m dynamodel` runs the command line."""

from dynamodel.cli import main

main()
