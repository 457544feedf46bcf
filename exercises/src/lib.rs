//! exercises (being written)
