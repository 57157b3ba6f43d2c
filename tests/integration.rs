//! One integration-test binary (faster linking), one module per capability.

mod common;

mod access;
mod backup;
mod browser;
mod catalog_import;
mod crash;
mod demo_catalogue;
mod limits;
mod loan_forms;
mod loan_pages;
mod loan_paging;
mod loans;
mod mail;
mod mail_tls;
mod openapi;
mod pages;
mod properties;
mod search_api;
mod sector_first;
mod stats;
mod stats_browser;
mod storage_faults;
mod transitions;
