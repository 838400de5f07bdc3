"""Use cases: each public function is one transaction inside a unit of work."""
