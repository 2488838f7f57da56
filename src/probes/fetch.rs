//! The fetcher (being written).
