"""Small helpers shared across omicsnet (atomic file writes, hashing)."""
