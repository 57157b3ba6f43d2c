//! Email copies of the in-app notifications (issue 6). A notification's copies are
//! queued in `mail_outbox` in the transaction that writes the notification
//! ([`outbox::enqueue`], called by `loans::notify`); [`deliver::spawn`] runs the task
//! that sends them over SMTP after that transaction commits, retrying failures.
//! Without SMTP settings nothing is sent and the queue is pruned as it ages.

pub mod deliver;
pub mod outbox;

pub use deliver::{MailError, MailTask, spawn};
