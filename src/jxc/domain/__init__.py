"""Pure business rules of JXC: no database, no framework, only the standard library."""
