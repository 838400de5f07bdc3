"""Read side: set-based SQL over the tables, returning frozen DTOs; never writes."""
