//! One integration-test binary (faster linking), one module per capability.

// Tests state their scenario in one piece and stop at the first surprise.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

mod common;

mod access;
mod audit_log;
mod backup;
mod browser;
mod catalog_import;
mod circulation;
mod cli;
mod closed_days;
mod crash;
mod demo_catalogue;
mod hostile_connections;
mod hostile_content;
mod hostile_data;
mod hostile_loan_settings;
mod hostile_loans;
mod hostile_search;
mod hostile_signin;
mod limits;
mod loan_forms;
mod loan_pages;
mod loan_paging;
mod loan_promises;
mod loans;
mod local_time;
mod mail;
mod mail_tls;
mod openapi;
mod pages;
mod password_rules;
mod promises;
mod properties;
mod public_url;
mod recall;
mod search_api;
mod search_promises;
mod sector_first;
mod stats;
mod stats_browser;
mod storage_faults;
mod transitions;
mod usage_reports;
mod use_cases;
mod withdraw_browser;
mod withdraw_on_loan;
