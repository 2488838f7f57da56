//! `hutong bench catalog`: how the catalog load grows with its size. A synthetic catalog
//! (a simulated group, N platforms, their payment checks, written as TOML files beside a
//! copy of the real catalog) is read, validated and stored into a fresh database at a
//! tenth, a fifth, two fifths and all of the size asked, so a reader sees whether each
//! phase grows linearly. Prints figures, asserts nothing.

use crate::catalog;
use crate::domain::Side;
use crate::output::outln;
use crate::storage::Store;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct CatalogBench {
    /// Synthetic platforms at the largest size.
    pub platforms: usize,
    /// Synthetic checks at the largest size (spread over the platforms).
    pub checks: usize,
    /// Also store into fresh databases created beside this PostgreSQL one.
    pub database_url: Option<String>,
    pub catalog_dir: PathBuf,
}

/// The group every synthetic platform belongs to (simulated: kept out of real figures).
const GROUP: &str = "bench_catalog";

/// The synthetic catalog files for `platforms` platforms and `checks` checks of the
/// payment kind (platform × method), the methods taken from the real catalog.
pub fn synthetic_files(
    real: &catalog::Catalog,
    platforms: usize,
    checks: usize,
) -> anyhow::Result<[(&'static str, String); 2]> {
    let kind = real
        .kinds
        .iter()
        .find(|k| k.subject == Side::Platform && k.object == Side::Method)
        .context("the catalog has no check kind of platform × payment method")?;
    let methods: Vec<&str> = real.methods.iter().map(|m| m.slug.as_str()).collect();
    let platforms = platforms.max(1);
    if checks > platforms * methods.len() {
        anyhow::bail!(
            "{checks} checks over {platforms} platforms: at most {} each ({} payment methods)",
            methods.len(),
            methods.len()
        );
    }
    let mut p = format!(
        "[[group]]\nslug = \"{GROUP}\"\nname_zh = \"目录基准\"\nname_en = \"Catalog benchmark\"\n\
         simulated = true\n"
    );
    let mut c = String::new();
    for i in 0..platforms {
        let slug = format!("bench_p{i:05}");
        let _ = write!(
            p,
            "\n[[platform]]\nslug = \"{slug}\"\nname_zh = \"基准平台{i}\"\n\
             name_en = \"Bench platform {i}\"\ngroup = \"{GROUP}\"\nkind = \"ecommerce\"\n\
             domains = [\"p{i}.bench.example\"]\n"
        );
        // Checks spread evenly: platform i has those numbered i*checks/platforms onwards.
        let here = (i + 1) * checks / platforms - i * checks / platforms;
        if here == 0 {
            continue;
        }
        let objects: Vec<String> = (0..here)
            .map(|j| format!("\"{}\"", methods[(i + j) % methods.len()]))
            .collect();
        let _ = write!(
            c,
            "\n[[checks]]\nkind = \"{}\"\nsubject = \"{slug}\"\nobjects = [{}]\n",
            kind.id,
            objects.join(", ")
        );
    }
    Ok([("bench_platforms.toml", p), ("bench_checks.toml", c)])
}

/// Copies the catalog's TOML files (not its probe packs) from `from` into `to`.
fn copy_catalog(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if path.is_dir() {
            if name != "probes" {
                copy_catalog(&path, &to.join(name))?;
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, to.join(name))?;
        }
    }
    Ok(())
}

/// One size's figures, in milliseconds.
struct Phases {
    platforms: usize,
    checks: usize,
    toml: f64,
    validate: f64,
    store: Vec<(String, f64, f64)>,
}

pub async fn catalog(args: CatalogBench) -> anyhow::Result<()> {
    let real = catalog::load_dir(&args.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    let postgres = args
        .database_url
        .clone()
        .filter(|u| u.starts_with("postgres"));
    if args.database_url.is_some() && postgres.is_none() {
        anyhow::bail!(
            "bench catalog stores into a fresh SQLite file at each size; --database-url may \
             only name a PostgreSQL server (fresh databases are created beside it)"
        );
    }
    let top = args.platforms.max(1);
    let mut sizes: Vec<usize> = [top / 10, top / 5, top * 2 / 5, top]
        .into_iter()
        .filter(|&n| n > 0)
        .collect();
    sizes.dedup();
    outln!(
        "hutong bench catalog: the real catalog ({} platforms, {} checks) plus synthetic \
         platforms and payment checks ({} checks per {} platforms), read, validated and \
         stored into a fresh database at each size",
        real.platforms.len(),
        real.checks.len(),
        args.checks,
        top
    );
    let root = std::env::temp_dir().join(format!("hutong-bench-catalog-{}", std::process::id()));
    let mut rows = Vec::new();
    for &platforms in &sizes {
        let checks = args.checks * platforms / top;
        let dir = root.join(format!("p{platforms}"));
        copy_catalog(&args.catalog_dir, &dir)?;
        for (name, text) in synthetic_files(&real, platforms, checks)? {
            std::fs::write(dir.join(name), text)?;
        }
        rows.push(measure(&dir, platforms, checks, postgres.as_deref()).await?);
        std::fs::remove_dir_all(&dir)?;
    }
    let _ = std::fs::remove_dir_all(&root);

    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for (name, _, _) in &row.store {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let mut header = format!(
        "\n{:>9} {:>8} {:>9} {:>11}",
        "platforms", "checks", "TOML ms", "validate ms"
    );
    for name in &columns {
        let _ = write!(header, " {:>16} {:>16}", format!("{name} ms"), "reload ms");
    }
    let _ = write!(header, " {:>9}", "total ms");
    outln!("{header}");
    for row in &rows {
        let mut line = format!(
            "{:>9} {:>8} {:>9.0} {:>11.0}",
            row.platforms, row.checks, row.toml, row.validate
        );
        let mut total = row.toml + row.validate;
        for (_, store, reload) in &row.store {
            let _ = write!(line, " {store:>16.0} {reload:>16.0}");
        }
        if let Some((_, store, _)) = row.store.first() {
            total += store;
        }
        let _ = write!(line, " {total:>9.0}");
        outln!("{line}");
    }
    outln!(
        "TOML: the files' syntax alone; validate: reading every entry and checking every \
         reference (TOML included); store: the load into a fresh, migrated database; \
         reload: the same catalog loaded again (nothing changes); total: validate + the \
         first store (SQLite)"
    );
    Ok(())
}

async fn measure(
    dir: &Path,
    platforms: usize,
    checks: usize,
    postgres: Option<&str>,
) -> anyhow::Result<Phases> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            files.push(std::fs::read_to_string(&path)?);
        }
    }
    let began = Instant::now();
    for text in &files {
        catalog::read::parse(text).map_err(|(_, m)| anyhow::anyhow!("not valid TOML: {m}"))?;
    }
    let toml = began.elapsed().as_secs_f64() * 1000.0;

    let began = Instant::now();
    let cat = catalog::load_dir(dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    let validate = began.elapsed().as_secs_f64() * 1000.0;

    let mut store = Vec::new();
    let sqlite = dir.join("bench.db");
    let url = format!("sqlite://{}", sqlite.display());
    store.push(("SQLite".to_string(), store_twice(&url, &cat).await?));
    if let Some(admin_url) = postgres {
        let name = format!("hutong_bench_catalog_{}_{platforms}", std::process::id());
        let result = super::on_fresh_postgres(admin_url, &name, |url| async move {
            store_twice(&url, &cat).await
        })
        .await?;
        store.push(("PostgreSQL".to_string(), result));
    }
    Ok(Phases {
        platforms,
        checks,
        toml,
        validate,
        store: store
            .into_iter()
            .map(|(name, (first, again))| (name, first, again))
            .collect(),
    })
}

/// Loads `cat` into the fresh database at `url`, then again; milliseconds of each.
async fn store_twice(url: &str, cat: &catalog::Catalog) -> anyhow::Result<(f64, f64)> {
    let store = Store::open(url, 4).await?;
    let began = Instant::now();
    let report = store.apply_catalog(cat).await?;
    let first = began.elapsed().as_secs_f64() * 1000.0;
    let began = Instant::now();
    let again = store.apply_catalog(cat).await?;
    let second = began.elapsed().as_secs_f64() * 1000.0;
    store.close().await;
    anyhow::ensure!(
        again.observations_unchanged == report.observations_inserted,
        "the second load changed observations: {again:?} after {report:?}"
    );
    Ok((first, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_synthetic_catalog_loads_beside_the_real_one_with_every_check() {
        let real_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let real = catalog::load_dir(&real_dir).expect("the real catalog is valid");
        let dir = tempfile::tempdir().expect("a temporary folder");
        copy_catalog(&real_dir, dir.path()).expect("copied");
        // 23 checks over 10 platforms: spread 2 or 3 a platform, none lost to rounding.
        for (name, text) in synthetic_files(&real, 10, 23).expect("synthetic files") {
            std::fs::write(dir.path().join(name), text).expect("written");
        }
        let cat = catalog::load_dir(dir.path()).expect("the synthetic catalog is valid");
        assert_eq!(cat.platforms.len(), real.platforms.len() + 10);
        assert_eq!(cat.checks.len(), real.checks.len() + 23);
        assert_eq!(cat.observations, real.observations);

        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = Store::open(&url, 1).await.expect("opened");
        let report = store.apply_catalog(&cat).await.expect("loaded");
        assert_eq!(report.observations_inserted, real.observations.len());
        assert_eq!(
            store.counts().await.expect("counts").checks,
            cat.checks.len() as i64
        );
        store.close().await;
    }

    #[test]
    fn more_checks_than_payment_methods_allow_are_refused_with_the_limit() {
        let real_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let real = catalog::load_dir(&real_dir).expect("the real catalog is valid");
        let too_many = real.methods.len() * 2 + 1;
        let e = synthetic_files(&real, 2, too_many).expect_err("refused");
        assert!(
            e.to_string()
                .contains(&format!("at most {} each", real.methods.len())),
            "{e}"
        );
    }
}
