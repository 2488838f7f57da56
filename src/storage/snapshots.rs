//! Snapshot bodies as stored (migration 0017): a whole zstd frame, or a difference against
//! a base — the body compressed with the base's uncompressed body as a raw-content
//! dictionary. A base is always whole, so a body is read from at most two rows. Every
//! reader of a snapshot's body goes through [`Store::snapshot_body`]; the SHA-256 naming
//! a snapshot is always of its uncompressed body, whichever way it is stored.

use super::{Backend, Db, StorageError, Store, on_pool};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// zstd level of every snapshot stored whole…
pub const LEVEL: i32 = 3;
/// … and of a difference against its base. Compressing against a base first loads the
/// base (30 KiB for a cashier page) into the context's match tables, for every page: at
/// level 3 (two tables) that was 5% of the cashier probes' CPU; level 1 fills one. The
/// differences stayed as small (`bench probes --cashier`, 30 rounds: 0.8 MiB for 14,500
/// either way) and CPU per page fell 5–8% (0.638, 0.643 → 0.585, 0.609 ms, alternated).
pub const DELTA_LEVEL: i32 = 1;

/// The largest body a stored row is read back to: a corrupt `size` must not make a reader
/// reserve gigabytes.
const MAX_BODY_BYTES: i64 = 256 * 1024 * 1024;

/// A zstd dictionary's magic number: a body that starts with it would be read as a
/// structured dictionary instead of raw content, so it is never used as a base.
const DICTIONARY_MAGIC: [u8; 4] = [0x37, 0xa4, 0x30, 0xec];

/// A body to keep, already compressed (zstd) by the caller, off the async runtime: whole,
/// or against the whole snapshot `base_sha256` (see this module).
#[derive(Debug, Clone)]
pub struct NewSnapshot {
    pub sha256: String,
    pub size: i64,
    pub content_type: Option<String>,
    pub compressed: Vec<u8>,
    pub base_sha256: Option<String>,
}

/// Snapshot `$1` as stored, with its base's hash (`base_sha256`, whichever way the backend
/// names the base; on SQLite a base number no snapshot has reads as `#` and the number, so
/// the difference is never taken for whole), its base's stored body (`base_body`) and
/// whether that base is itself a difference (`base_of_base`): what [`Store::snapshot_body`]
/// decodes, and [`super::SnapshotRecord`] the columns it names.
pub(super) fn select_snapshot(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "select s.sha256, s.size, s.content_type, s.body, s.stored_at,
                    case when s.base_no is not null
                         then coalesce(b.sha256, '#' || s.base_no) end as base_sha256,
                    b.body as base_body, cast(b.base_no as text) as base_of_base
             from snapshots s left join snapshots b on b.no = s.base_no
             where s.sha256 = $1"
        }
        Backend::Postgres => {
            "select s.sha256, s.size, s.content_type, s.body, s.stored_at, s.base_sha256,
                    b.body as base_body, b.base_sha256 as base_of_base
             from snapshots s left join snapshots b on b.sha256 = s.base_sha256
             where s.sha256 = $1"
        }
    }
}

/// A snapshot's uncompressed body, as every reader gets it.
#[derive(Debug, Clone)]
pub struct SnapshotBody {
    pub sha256: String,
    pub size: i64,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub stored_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    sha256: String,
    size: i64,
    content_type: Option<String>,
    body: Vec<u8>,
    stored_at: DateTime<Utc>,
    base_sha256: Option<String>,
    base_body: Option<Vec<u8>>,
    base_of_base: Option<String>,
}

/// `body` compressed whole. Each thread keeps one compression context: making a new one
/// for every page cost more than compressing it.
pub fn compress_whole(body: &[u8]) -> Vec<u8> {
    thread_local! {
        static WHOLE: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    WHOLE
        .with(|cell| {
            let mut cell = cell.try_borrow_mut().ok()?;
            if cell.is_none() {
                *cell = zstd::bulk::Compressor::new(LEVEL).ok();
            }
            cell.as_mut()?.compress(body).ok()
        })
        .or_else(|| zstd::encode_all(body, LEVEL).ok())
        .unwrap_or_else(|| body.to_vec())
}

/// A body [`compress_whole`] compressed, of `size` bytes; `None` when it does not decompress
/// to that many. Each thread keeps one decompression context.
pub fn decompress_whole(compressed: &[u8], size: usize) -> Option<Vec<u8>> {
    thread_local! {
        static WHOLE: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    WHOLE.with(|cell| {
        let mut cell = cell.try_borrow_mut().ok()?;
        if cell.is_none() {
            *cell = zstd::bulk::Decompressor::new().ok();
        }
        let body = cell.as_mut()?.decompress(compressed, size).ok()?;
        (body.len() == size).then_some(body)
    })
}

/// `body` compressed against `base` (its uncompressed body); `None` when `base` cannot
/// serve as one (it looks like a zstd dictionary) or zstd refuses.
pub fn compress_against(base: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    thread_local! {
        static AGAINST: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    if base.starts_with(&DICTIONARY_MAGIC) {
        return None;
    }
    AGAINST.with(|cell| {
        let mut cell = cell.try_borrow_mut().ok()?;
        if cell.is_none() {
            *cell = zstd::bulk::Compressor::new(LEVEL).ok();
        }
        // The base loaded straight into the context's tables for this one frame, not
        // first built into a dictionary of its own and copied over (that cost as much as
        // compressing). The frame is the same kind: raw content, no dictionary id.
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(body.len()));
        cell.as_mut()?
            .context_mut()
            .compress_using_dict(&mut out, body, base, DELTA_LEVEL)
            .ok()?;
        Some(out)
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The body of a stored row: decompressed whole, or against its base (read in the same
/// query); any fault is an error naming the snapshot.
fn decode(row: StoredRow) -> Result<SnapshotBody, StorageError> {
    let sha = row.sha256.clone();
    let fault =
        |reason: String| StorageError::Invalid(format!("snapshot {sha} cannot be read: {reason}"));
    let body = match &row.base_sha256 {
        None => zstd::decode_all(row.body.as_slice())
            .map_err(|e| fault(format!("it does not decompress ({e})")))?,
        Some(base_sha) => {
            let base = row
                .base_body
                .as_deref()
                .ok_or_else(|| fault(format!("its base {base_sha} is missing")))?;
            if row.base_of_base.is_some() {
                return Err(fault(format!("its base {base_sha} is itself a difference")));
            }
            if !(0..=MAX_BODY_BYTES).contains(&row.size) {
                return Err(fault(format!("its size {} is out of range", row.size)));
            }
            let base = zstd::decode_all(base)
                .map_err(|e| fault(format!("its base {base_sha} does not decompress ({e})")))?;
            let body = zstd::bulk::Decompressor::with_dictionary(&base)
                .and_then(|mut d| d.decompress(&row.body, row.size as usize))
                .map_err(|e| {
                    fault(format!(
                        "it does not decompress against its base {base_sha} ({e})"
                    ))
                })?;
            // A base that changed would give another body without any zstd error.
            if sha256_hex(&body) != row.sha256 {
                return Err(fault(format!(
                    "decompressed against its base {base_sha} it does not match its SHA-256"
                )));
            }
            body
        }
    };
    Ok(SnapshotBody {
        sha256: row.sha256,
        size: row.size,
        content_type: row.content_type,
        body,
        stored_at: row.stored_at,
    })
}

impl Store {
    /// The uncompressed body of snapshot `sha256` (a page, a screenshot), however it is
    /// stored; decompressed off the async runtime.
    pub async fn snapshot_body(&self, sha256: &str) -> Result<Option<SnapshotBody>, StorageError> {
        let row = on_pool!(self, pool => {
            sqlx::query_as::<_, StoredRow>(select_snapshot(self.backend()))
            .bind(sha256)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        let sha = sha256.to_string();
        tokio::task::spawn_blocking(move || decode(row))
            .await
            .map_err(|e| StorageError::Invalid(format!("snapshot {sha} cannot be read: {e}")))?
            .map(Some)
    }
}

impl Store {
    /// How many snapshots are stored as differences, and their stored bytes.
    pub async fn snapshot_differences(&self) -> Result<(i64, i64), StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64)>(
                match self.backend() {
                    Backend::Sqlite => {
                        "select count(*), cast(coalesce(sum(length(body)), 0) as bigint)
                         from snapshots where base_no is not null"
                    }
                    Backend::Postgres => {
                        "select count(*), cast(coalesce(sum(length(body)), 0) as bigint)
                         from snapshots where base_sha256 is not null"
                    }
                },
            )
            .fetch_one(pool)
            .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_looks_like_a_zstd_dictionary_is_never_a_base() {
        let mut base = DICTIONARY_MAGIC.to_vec();
        base.extend_from_slice(b"<html>page</html>");
        assert_eq!(compress_against(&base, b"<html>page 2</html>"), None);
        assert!(compress_against(b"<html>page</html>", b"<html>page 2</html>").is_some());
    }

    /// A difference decodes against its base to exactly the body, whatever the two are
    /// (the base loaded per frame), as one made with the base as a dictionary did, and is
    /// about as small.
    #[test]
    fn a_difference_decodes_against_its_base_to_the_body() {
        let page = |n: usize, noise: &str| {
            let mut s = String::from("<html><body><ul id=pay-methods>");
            for i in 0..n {
                s.push_str(&format!("<li><img alt=\"method {i}\"> 支付 {i}</li>"));
            }
            s.push_str(&format!(
                "</ul><script>var nonce = '{noise}';</script></body></html>"
            ));
            s.into_bytes()
        };
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (page(300, "a"), page(300, "b")),
            (page(300, "a"), page(300, "a")),
            (page(300, "a"), page(10, "c")),
            (page(10, "a"), page(600, "d")),
            (b"x".to_vec(), Vec::new()),
            (Vec::new(), page(50, "e")),
            ((0..=255u8).cycle().take(70_000).collect(), page(200, "f")),
        ];
        for (base, body) in &pairs {
            let diff = compress_against(base, body).expect("a plain base");
            let row = StoredRow {
                sha256: sha256_hex(body),
                size: body.len() as i64,
                content_type: None,
                body: diff.clone(),
                stored_at: Utc::now(),
                base_sha256: Some(sha256_hex(base)),
                base_body: Some(compress_whole(base)),
                base_of_base: None,
            };
            assert_eq!(decode(row).expect("it decodes").body, *body);
            let mut old = zstd::bulk::Compressor::new(LEVEL).unwrap();
            old.set_dictionary(LEVEL, base).unwrap();
            let old = old.compress(body).unwrap();
            assert!(
                diff.len() <= old.len() + old.len() / 10 + 16,
                "{} bytes against {} as a dictionary",
                diff.len(),
                old.len()
            );
        }
        let (base, body) = &pairs[0];
        let diff = compress_against(base, body).unwrap();
        assert!(
            diff.len() * 20 < body.len(),
            "a near copy is tiny: {}",
            diff.len()
        );
    }

    /// A difference whose base row is gone (foreign keys keep it in the database; a copy
    /// restored without it would not) is an error naming both, not a panic.
    #[test]
    fn a_difference_without_its_base_is_an_error_naming_both() {
        let (base, body) = (
            b"<html>base page</html>".as_slice(),
            b"<html>base page 2</html>",
        );
        let row = |base_body: Option<Vec<u8>>| StoredRow {
            sha256: sha256_hex(body),
            size: body.len() as i64,
            content_type: None,
            body: compress_against(base, body).unwrap(),
            stored_at: Utc::now(),
            base_sha256: Some("b".repeat(64)),
            base_body,
            base_of_base: None,
        };
        let err = decode(row(None)).unwrap_err().to_string();
        let sha = sha256_hex(body);
        assert_eq!(
            err,
            format!(
                "snapshot {sha} cannot be read: its base {} is missing",
                "b".repeat(64)
            )
        );
        let read = decode(row(Some(compress_whole(base)))).unwrap();
        assert_eq!(read.body, body);
    }
}
