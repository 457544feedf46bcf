//! # chart (being written)
