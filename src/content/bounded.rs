//! Running an external program under a time limit with bounded output. At the deadline
//! the program is killed (SIGKILL) and reaped, and the threads reading its pipes end
//! with it, so nothing of the run outlives the call: unlike a thread, a process can be
//! stopped in the middle of its work.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A run that ended by itself.
#[derive(Debug)]
pub(crate) struct Finished {
    pub status: ExitStatus,
    /// Standard output, cut at the asked-for length.
    pub stdout: Vec<u8>,
    /// The start of standard error, for the reason of a failure.
    pub stderr: String,
}

/// A run that did not end by itself.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunError {
    /// The program is not installed (or not where it was looked for).
    NotFound,
    /// It was still running at the deadline and was killed.
    TimedOut,
    /// Anything else, in words.
    Failed(String),
}

/// The most of standard error kept.
const MAX_STDERR: u64 = 4096;

/// Runs `command` with no input for at most `timeout`, keeping at most `max_stdout`
/// bytes of its output.
pub(crate) fn run_bounded(
    mut command: Command,
    timeout: Duration,
    max_stdout: u64,
) -> Result<Finished, RunError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => RunError::NotFound,
            _ => RunError::Failed(format!("无法启动（{e}）")),
        })?;
    let stdout = child.stdout.take().map(|pipe| drain(pipe, max_stdout));
    let stderr = child.stderr.take().map(|pipe| drain(pipe, MAX_STDERR));
    let waited = wait_until(&mut child, Instant::now() + timeout);
    if waited.is_err() {
        // Killing closes the pipes, which also ends the readers; waiting reaps it.
        let _ = child.kill();
        let _ = child.wait();
    }
    let (stdout, stderr) = (joined(stdout), joined(stderr));
    Ok(Finished {
        status: waited?,
        stdout: stdout?,
        stderr: String::from_utf8_lossy(&stderr?).into_owned(),
    })
}

/// Reads up to `max` bytes of `pipe` and discards the rest, on a thread.
fn drain<R: Read + Send + 'static>(pipe: R, max: u64) -> JoinHandle<io::Result<Vec<u8>>> {
    thread::spawn(move || {
        let mut limited = pipe.take(max);
        let mut out = Vec::new();
        let read = limited.read_to_end(&mut out);
        // Drain the rest, or the program blocks on a full pipe and only the timeout ends it.
        let _ = io::copy(&mut limited.into_inner(), &mut io::sink());
        read.map(|_| out)
    })
}

fn joined(reader: Option<JoinHandle<io::Result<Vec<u8>>>>) -> Result<Vec<u8>, RunError> {
    match reader.map(JoinHandle::join) {
        None => Ok(Vec::new()),
        Some(Ok(Ok(bytes))) => Ok(bytes),
        Some(Ok(Err(e))) => Err(RunError::Failed(format!("输出无法读取（{e}）"))),
        Some(Err(_)) => Err(RunError::Failed("输出无法读取".to_owned())),
    }
}

fn wait_until(child: &mut Child, deadline: Instant) -> Result<ExitStatus, RunError> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => return Err(RunError::TimedOut),
            Err(e) => return Err(RunError::Failed(format!("无法等待其结束（{e}）"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_past_its_deadline_is_killed() {
        let started = Instant::now();
        let mut sleeper = Command::new("sleep");
        sleeper.arg("30");
        let outcome = run_bounded(sleeper, Duration::from_millis(200), 1024);
        assert_eq!(outcome.map(|f| f.status), Err(RunError::TimedOut));
        // Returning at all means the readers ended, so the pipes closed: it is dead.
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn output_is_cut_and_a_missing_program_is_told_apart() {
        let mut yes = Command::new("head");
        yes.args(["-c", "100000", "/dev/zero"]);
        let done = run_bounded(yes, Duration::from_secs(10), 10).expect("ran");
        assert!(done.status.success());
        assert_eq!(done.stdout.len(), 10);
        let missing = Command::new("/nonexistent/program");
        assert_eq!(
            run_bounded(missing, Duration::from_secs(1), 10).map(|f| f.status),
            Err(RunError::NotFound)
        );
    }
}
