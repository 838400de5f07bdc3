"""JXC 进销存: purchase, sales and inventory where the books always match the shelves."""

__version__ = "0.1.0"
