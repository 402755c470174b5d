"""`python -m infilld` is the same as the `infilld` command."""

from infilld.cli import main

raise SystemExit(main())
