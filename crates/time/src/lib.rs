//! time (being written)
