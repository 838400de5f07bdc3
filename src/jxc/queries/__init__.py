"""Read side: set-based SQL over the tables, returning frozen DTOs; never writes."""

# The largest sequence number (audit events, stock changes) a database stores: a cursor
# beyond it is refused as input, not sent to the database to overflow.
SEQUENCE_MAX = 2**63 - 1
