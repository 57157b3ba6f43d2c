//! Synthetic scanned pages of Chinese official documents, shared by
//! `ocr_pages_bench.rs` and `make_demo_scan.rs` (each uses a part, hence the allow).
#![allow(dead_code)]

pub mod document;
pub mod draw;
pub mod pack;
pub mod rng;
pub mod scan;
