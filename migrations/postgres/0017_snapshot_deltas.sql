-- Snapshots stored as differences (issue 15). A probe fetching the same page again gets a
-- body that differs by a few bytes (a timestamp, a nonce), yet each was kept as a whole
-- zstd frame. A snapshot may now name a base: its body is then zstd-compressed with the
-- base's uncompressed body as a raw-content dictionary. A base is always a whole snapshot
-- (`base_sha256` null), never itself a difference, so reading one costs at most two rows.
-- The reference keeps a base from being deleted while a difference points at it. Rows
-- written before have no base and read as before. Never edit once released: add a file.

alter table snapshots add column base_sha256 text references snapshots (sha256);
