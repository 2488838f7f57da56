//! Broken catalog files on disk: every problem is reported with file, line and cause, and
//! neither `catalog load` nor `serve` writes anything until the catalog is valid.

mod common;

use hutong::catalog;
use hutong::config::Config;
use hutong::probes::pack::validate_packs;
use std::fs;
use std::path::{Path, PathBuf};

/// A copy of the shipped catalog that a test may break.
fn copy_catalog() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    copy_dir(&common::catalog_dir(), &dir);
    (tmp, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces the first occurrence of `from` in `file`; returns its 1-based line.
fn break_file(dir: &Path, file: &str, from: &str, to: &str) -> usize {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    let at = text
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in {file}"));
    let line = text[..at].matches('\n').count() + 1;
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
    line
}

fn problems(dir: &Path) -> Vec<String> {
    catalog::load_dir(dir)
        .expect_err("broken catalog accepted")
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_shipped_catalog_is_valid() {
    let cat = common::real_catalog();
    assert!(cat.platforms.len() >= 20);
    assert!(cat.observations.len() >= 50);
    assert!(cat.requirements.iter().any(|r| r.id.starts_with("miit")));
}

#[test]
fn an_unknown_slug_is_reported_where_it_is() {
    let (_tmp, dir) = copy_catalog();
    let line = break_file(
        &dir,
        "checks.toml",
        "subject = \"wechat\"",
        "subject = \"wechatt\"",
    );
    let p = problems(&dir);
    let expected =
        format!("checks.toml:{line}: unknown platform \"wechatt\" as subject of a link check");
    assert!(p.iter().any(|m| m.ends_with(&expected)), "{p:#?}");
}

#[test]
fn a_status_off_the_ladder_is_reported_with_the_ladder() {
    let (_tmp, dir) = copy_catalog();
    let line = break_file(
        &dir,
        "observations/2021-articles.toml",
        "status = \"warned\"",
        "status = \"half-open\"",
    );
    let p = problems(&dir);
    let expected = format!(
        "2021-articles.toml:{line}: status \"half-open\" is not on the ladder of link checks (open, warned, token_only, blocked)"
    );
    assert!(p.iter().any(|m| m.ends_with(&expected)), "{p:#?}");
}

#[test]
fn an_impossible_date_is_reported() {
    let (_tmp, dir) = copy_catalog();
    let line = break_file(
        &dir,
        "milestones.toml",
        "date = \"2021-09-09\"",
        "date = \"2021-09-31\"",
    );
    let p = problems(&dir);
    let expected =
        format!("milestones.toml:{line}: date: \"2021-09-31\" is not a real calendar date");
    assert!(p.iter().any(|m| m.ends_with(&expected)), "{p:#?}");
}

#[test]
fn a_duplicate_key_across_files_names_both_places() {
    let (_tmp, dir) = copy_catalog();
    fs::write(
        dir.join("zz-more-platforms.toml"),
        "# a second WeChat\n[[platform]]\nslug = \"wechat\"\nname_zh = \"微信\"\nname_en = \"WeChat\"\ngroup = \"tencent\"\nkind = \"messaging\"\n",
    )
    .unwrap();
    let p = problems(&dir);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].contains(
            "zz-more-platforms.toml:3: duplicate platform slug \"wechat\" (first defined at "
        ),
        "{p:#?}"
    );
    assert!(p[0].contains("platforms.toml:"), "{p:#?}");
}

#[test]
fn broken_syntax_and_bad_encoding_are_reported_per_file() {
    let (_tmp, dir) = copy_catalog();
    fs::write(
        dir.join("syntax.toml"),
        "[[source]]\nid = \"x\"\ntitle = \"unterminated\n",
    )
    .unwrap();
    fs::write(
        dir.join("gbk.toml"),
        b"[[group]]\nslug = \"x\"\nname_zh = \"\xcc\xda\xd1\xb6\"\n",
    )
    .unwrap();
    let p = problems(&dir);
    assert!(
        p.iter()
            .any(|m| m.contains("syntax.toml:3: not valid catalog TOML")),
        "{p:#?}"
    );
    assert!(
        p.iter().any(|m| m.contains("gbk.toml: is not UTF-8 text")),
        "{p:#?}"
    );
}

#[test]
fn a_bad_selector_is_explained_in_our_words() {
    let cat = common::real_catalog();
    let links =
        fs::read_to_string(common::catalog_dir().join("probes/demo-simchat-links.toml")).unwrap();
    let links = format!(
        "{links}\n[[rule]]\nid = \"bad-selector\"\nstatus = \"blocked\"\nwhen = {{ selector = \"div.notice >\" }}\n"
    );
    let line = links.lines().count();
    let payments =
        fs::read_to_string(common::catalog_dir().join("probes/demo-payments.toml")).unwrap();
    let option_line = payments
        .lines()
        .position(|l| l.starts_with("option = "))
        .unwrap()
        + 1;
    let payments = payments.replace("option = \"ul.pay-list > li\"", "option = \"li:hover\"");
    let problems: Vec<String> = validate_packs(
        &[
            (PathBuf::from("links.toml"), links.as_str()),
            (PathBuf::from("payments.toml"), payments.as_str()),
        ],
        &cat,
    )
    .expect_err("bad selectors accepted")
    .0
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        problems,
        vec![
            format!(
                "links.toml:{line}: rule \"bad-selector\": \"div.notice >\" is not a CSS selector: \
                 a combinator (`>`, `+`, `~`) has nothing after it, or two are in a row"
            ),
            format!(
                "payments.toml:{option_line}: extract.option: \"li:hover\" is not a CSS selector: it \
                 uses a pseudo-class or pseudo-element that pages cannot be tested for: structural \
                 ones such as `:first-child`, `:nth-child()`, `:not()`, `:is()`, `:has()` and \
                 `:empty` work (with their parentheses where they take some); states such as \
                 `:hover` and pseudo-elements such as `::before` do not"
            ),
        ]
    );
}

#[test]
fn a_missing_folder_is_reported() {
    let p = problems(Path::new("/nonexistent/catalog"));
    assert!(p[0].contains("cannot read the catalog folder"), "{p:#?}");
}

#[tokio::test]
async fn a_broken_catalog_loads_nothing_and_loses_nothing() {
    let (tmp, dir) = copy_catalog();
    let config = Config {
        database_url: format!("sqlite://{}", tmp.path().join("h.db").display()),
        catalog_dir: dir.clone(),
        ..Config::default()
    };
    let first = hutong::cli::load_catalog(&config).await.unwrap();
    assert!(first.observations_inserted > 0);

    break_file(
        &dir,
        "observations/2021-articles.toml",
        "status = \"token_only\"",
        "status = \"tokenonly\"",
    );
    break_file(
        &dir,
        "platforms.toml",
        "name_en = \"WeChat\"",
        "name_en = \"WeChat (renamed)\"",
    );
    let err = hutong::cli::load_catalog(&config)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"tokenonly\" is not on the ladder"), "{err}");

    let store = hutong::storage::Store::open(&config.database_url, 1)
        .await
        .unwrap();
    let r = store.reference().await.unwrap();
    assert_eq!(
        r.platform("wechat").unwrap().name_en,
        "WeChat",
        "valid parts of a broken catalog are not loaded either"
    );
    assert_eq!(
        store.counts().await.unwrap().observations as usize,
        first.observations_inserted
    );

    let err = hutong::serve::Application::build(&config)
        .await
        .err()
        .expect("serve refuses");
    let err = format!("{err:#}");
    assert!(err.contains("refusing to start: the catalog"), "{err}");
    assert!(err.contains("2021-articles.toml:"), "{err}");
}
