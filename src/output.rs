//! Lines for standard output. `println!` panics when the reader has gone away
//! (`hutong probe check | head -3`); these end the command quietly instead, with the exit
//! status a process killed by SIGPIPE has (141), so `set -o pipefail` still sees it.

use std::io::Write;

/// The exit status of a command whose reader closed the pipe (128 + SIGPIPE).
pub const CLOSED_PIPE_STATUS: i32 = 141;

/// Writes one line to standard output.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(CLOSED_PIPE_STATUS);
        }
        // Anything else (a full disk under a redirect): say what and stop.
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// `println!` that ends the command quietly when standard output is a closed pipe.
macro_rules! outln {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
