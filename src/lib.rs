//! 警示教育资源库 (`jingshi`): a warning-education resource library for the units a
//! provincial discipline-inspection committee serves: a catalogue of warning films,
//! case bulletins, confession records and textbooks, Chinese full-text search, and loans.
#![forbid(unsafe_code)]

pub mod access;
pub mod accounts;
pub mod actor;
pub mod alerts;
pub mod app;
pub mod audit;
pub mod backup;
pub mod bootstrap;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod collections;
pub mod config;
pub mod content;
pub mod db;
pub mod indexer;
pub mod loans;
pub mod mail;
pub mod marks;
pub mod ocr;
pub mod privacy;
pub mod recommend;
pub mod search;
pub mod seasons;
pub mod spreadsheet;
pub mod stats;
pub mod visits;
pub mod web;
