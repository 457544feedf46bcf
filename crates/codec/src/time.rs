//! RFC 868 / RFC 867 (being written)
