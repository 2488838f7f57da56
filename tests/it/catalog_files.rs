//! Broken catalog files on disk: every problem is reported with file, line and cause, and
//! neither `catalog load` nor `serve` writes anything until the catalog is valid.

use crate::common::{self, copy_catalog, hutong};
use hutong::catalog;
use hutong::config::Config;
use hutong::probes::pack::validate_packs;
use std::fs;
use std::path::{Path, PathBuf};

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
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(
        p.iter()
            .any(|m| m.contains("syntax.toml:3: not valid TOML")),
        "{p:#?}"
    );
    assert!(
        p.iter().any(|m| m.contains("gbk.toml: is not UTF-8 text")),
        "{p:#?}"
    );
}

/// `hutong catalog check` on `dir`: the exit code and what it printed on stderr.
fn catalog_check(dir: &Path) -> (Option<i32>, String) {
    let out = hutong()
        .args(["catalog", "check", "--catalog-dir"])
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_syntax_error_is_printed_alone_and_first() {
    // Every check, milestone and observation names a platform of platforms.toml: checked
    // against a file that does not parse, each would be reported as naming an unknown one.
    let (_tmp, dir) = copy_catalog();
    let line = break_file(
        &dir,
        "platforms.toml",
        "name_en = \"WeChat\"",
        "name_en = \"WeChat",
    );
    let file = dir.join("platforms.toml");
    assert_eq!(
        catalog_check(&dir),
        (
            Some(1),
            format!(
                "error: the catalog has 1 problem(s):\n  \
                 {f}:{line}: not valid TOML: invalid basic string, expected `\"`\n\
                 the other files were not checked against {f}: a file that does not parse is \
                 not cross-checked; fix it, then check again\n\n",
                f = file.display()
            )
        )
    );
}

#[test]
fn every_mistake_of_an_entry_is_printed_in_one_run() {
    let (_tmp, dir) = copy_catalog();
    fs::write(
        dir.join("zz-new.toml"),
        r#"[[platform]]
slug = "We Chat"
name_en = ""
group = "nobody"
kind = "app"
domains = ["not a host", 5]
domian = "x"

[[platform]]
slug = "fine"
name_zh = 3
name_en = "Fine"
group = "tencent"
kind = "messaging"

[[observation]]
id = "Bad ID"
check = "link.wechat.nowhere"
at = "2021-02-30"
status = "open"
source = "nobody"
sorce = "typo"
"#,
    )
    .unwrap();
    let f = dir.join("zz-new.toml");
    let f = f.display();
    let expected = [
        "platform: missing field `name_zh`".to_string(),
        "2: platform slug \"We Chat\" is not a slug (lowercase a-z, 0-9, _)".into(),
        "3: name_en is empty".into(),
        "4: unknown group \"nobody\"".into(),
        format!(
            "5: platform kind \"app\" is not one of {}",
            hutong::domain::PLATFORM_KINDS.join(", ")
        ),
        "6: domain \"not a host\" is not a host name like example.com".into(),
        "6: platform.domains: invalid type: integer `5`, expected a string".into(),
        "7: platform: unknown field `domian`, expected one of `slug`, `name_zh`, `name_en`, `group`, `kind`, `domains`".into(),
        "11: platform.name_zh: invalid type: integer `3`, expected a string".into(),
        "17: observation id \"Bad ID\" is not an id (lowercase a-z, 0-9, _, -)".into(),
        "18: unknown check \"link.wechat.nowhere\" (declare it under [[checks]])".into(),
        "19: at: \"2021-02-30\" is not a real calendar date".into(),
        "21: unknown source \"nobody\"".into(),
        "22: observation: unknown field `sorce`, expected one of `id`, `check`, `checks`, `at`, `approximate`, `status`, `source`, `quote`, `note_en`, `note_zh`".into(),
    ];
    let mut printed = format!("error: the catalog has {} problem(s):\n", expected.len());
    printed.push_str(&format!("  {f}:1: {}\n", expected[0]));
    for e in &expected[1..] {
        printed.push_str(&format!("  {f}:{e}\n"));
    }
    printed.push('\n');
    assert_eq!(catalog_check(&dir), (Some(1), printed));
}

#[test]
fn a_control_character_is_refused_with_its_line_column_and_field() {
    let (_tmp, dir) = copy_catalog();
    let line = break_file(
        &dir,
        "platforms.toml",
        "name_en = \"WeChat\"",
        "name_en = \"We\\u0000Chat\"",
    );
    assert_eq!(
        catalog_check(&dir),
        (
            Some(1),
            format!(
                "error: the catalog has 1 problem(s):\n  \
                 {}:{line}:14: platform.name_en holds the control character U+0000: this field \
                 is one line of plain text\n\n",
                dir.join("platforms.toml").display()
            )
        )
    );
}

/// PostgreSQL cannot store U+0000: a catalog holding one used to pass `catalog check`, then
/// stop `serve` with an error naming a line of SQL. It is now refused before anything is
/// written, naming the line of the file.
#[tokio::test]
async fn a_nul_in_the_catalog_is_refused_before_postgresql_sees_it() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let (_tmp, dir) = copy_catalog();
    let line = break_file(
        &dir,
        "observations/2021-articles.toml",
        "note_zh = \"",
        "note_zh = \"两行\\n然后\\u0000",
    );
    let config = Config {
        database_url: db.url.clone(),
        catalog_dir: dir.clone(),
        ..Config::default()
    };
    let expected = format!(
        "2021-articles.toml:{line}:18: observation.note_zh holds the control character U+0000: \
         only tabs and line breaks are allowed in this field"
    );
    let err = hutong::cli::load_catalog(&config)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&expected), "{err}");
    let err = hutong::serve::Application::build(&config)
        .await
        .err()
        .expect("serve refuses");
    let err = format!("{err:#}");
    assert!(err.contains("refusing to start: the catalog"), "{err}");
    assert!(err.contains(&expected), "{err}");
    assert_eq!(db.store.counts().await.unwrap().observations, 0);

    // The line break alone is prose, and PostgreSQL keeps it.
    break_file(
        &dir,
        "observations/2021-articles.toml",
        "然后\\u0000",
        "然后",
    );
    let report = hutong::cli::load_catalog(&config).await.unwrap();
    assert!(report.observations_inserted > 0);
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
fn every_mistake_of_a_pack_is_reported_at_once() {
    let cat = common::real_catalog();
    let pack =
        fs::read_to_string(common::catalog_dir().join("probes/demo-simchat-links.toml")).unwrap();
    let line_of = |text: &str, marker: &str| {
        text.lines()
            .position(|l| l.starts_with(marker))
            .unwrap_or_else(|| panic!("{marker:?}"))
            + 1
    };
    let broken = pack
        .replace("kind = \"link\"", "kind = \"lnk\"")
        .replace("method = \"GET\"", "method = \"FETCH\"")
        .replace(
            "name_en = \"SimChat link bridge (simulated)\"",
            "name_en = \"SimChat\\u0007 bridge\"",
        )
        .replace("timeout_secs = 10", "timeout_secs = \"ten\"")
        .replace(
            "{ body_contains = \"已停止访问该网页\" } ]",
            "{ body_contains = \"已停止访问该网页\" }, { selector = \"a >> b\" }, { status = 99 } ]",
        );
    let problems: Vec<String> = validate_packs(&[(PathBuf::from("x.toml"), broken.as_str())], &cat)
        .expect_err("broken pack accepted")
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    let rule = line_of(&broken, "when = [ { final_host = \"{target_host}\" },");
    assert_eq!(
        problems,
        vec![
            format!(
                "x.toml:{}:19: pack.name_en holds the control character U+0007: this field is one line of plain text",
                line_of(&broken, "name_en =")
            ),
            format!(
                "x.toml:{}: unknown check kind \"lnk\" (packs observe link or payment checks)",
                line_of(&broken, "kind =")
            ),
            format!(
                "x.toml:{}: pack.timeout_secs: invalid type: string \"ten\", expected u64",
                line_of(&broken, "timeout_secs =")
            ),
            format!(
                "x.toml:{}: method \"FETCH\" is not GET, HEAD or POST",
                line_of(&broken, "method =")
            ),
            format!(
                "x.toml:{rule}: rule \"target-paints-block\": condition 3: \"a >> b\" is not a CSS \
                 selector: a combinator (`>`, `+`, `~`) has nothing after it, or two are in a row; \
                 condition 4: 99 is not an HTTP status (100-599)"
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

/// `hutong probe check | head -0`: the reader is gone before the command writes its first
/// line; the command ends quietly (as a process killed by SIGPIPE would: 141) instead of
/// panicking.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let mut child = hutong()
        .args(["probe", "check", "--catalog-dir"])
        .arg(common::catalog_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start hutong");
    // Closed long before the packs are loaded and the first line written.
    drop(child.stdout.take());
    let done = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(done.status.code(), Some(141), "{stderr}");
}
