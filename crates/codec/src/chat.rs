//! chat/1 (being written)
