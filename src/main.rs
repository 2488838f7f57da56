use clap::Parser;
use std::process::ExitCode;

/// jemalloc instead of the system's allocator: the probe engine allocates and frees many
/// small buffers per page (headers, tokens, verdicts, rows), and glibc's malloc spent about
/// a fifth of the engine's CPU on them (README, Performance: Probes).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read once at start (the `_RJEM_MALLOC_CONF` variable still overrides
/// them): two arenas rather than four per core, and freed pages handed back to the system
/// after a second rather than ten, which keeps the engine's peak memory where glibc's was.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: MallocConf =
    MallocConf(c"narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string's address, which jemalloc reads as its `malloc_conf`.
#[repr(transparent)]
struct MallocConf(*const std::ffi::c_char);

// SAFETY: the pointer is to a string literal: immutable and alive for the whole program.
unsafe impl Sync for MallocConf {}

fn main() -> ExitCode {
    hutong::cli::run(hutong::cli::Cli::parse())
}
