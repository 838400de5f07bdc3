"""Row ↔ domain mapping for each aggregate, and the guarded writes of the ledger."""
