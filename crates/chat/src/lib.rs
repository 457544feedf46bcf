//! chat (being written)
