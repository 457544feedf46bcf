//! tools (being written)
