use super::*;

const BASE: &str = r#"
[[group]]
slug = "tencent"
name_zh = "腾讯"
name_en = "Tencent"

[[group]]
slug = "alibaba"
name_zh = "阿里巴巴"
name_en = "Alibaba"

[[platform]]
slug = "wechat"
name_zh = "微信"
name_en = "WeChat"
group = "tencent"
kind = "messaging"

[[platform]]
slug = "taobao"
name_zh = "淘宝"
name_en = "Taobao"
group = "alibaba"
kind = "ecommerce"
domains = ["taobao.com"]

[[kind]]
id = "link"
name_zh = "链接"
name_en = "Links"
subject = "platform"
object = "platform"
subject_label_zh = "宿主"
subject_label_en = "Host app"
object_label_zh = "目标"
object_label_en = "Target"
[[kind.status]]
id = "open"
label_zh = "直接打开"
label_en = "open"
score = 1.0
[[kind.status]]
id = "token_only"
label_zh = "需复制口令"
label_en = "token only"
score = 0.25

[[checks]]
kind = "link"
subject = "wechat"
objects = ["taobao"]

[[source]]
id = "cnbeta-2021-10-17"
kind = "article"
publisher = "cnBeta"
title = "互联网平台拆墙进展如何了"
date = "2021-10-17"
language = "zh"
region = "CN"

[[requirement]]
id = "miit"
authority_zh = "工信部"
authority_en = "MIIT"
title_zh = "解除屏蔽"
title_en = "Lift link blocking"
issued = "2021-09-09"
deadline = "2021-09-17"
scope = { kind = "link", subject_kinds = ["messaging"] }
compliant = ["open"]
source = "cnbeta-2021-10-17"
"#;

const FACTS: &str = r#"
[[observation]]
id = "before"
check = "link.wechat.taobao"
at = "2021-07-01"
approximate = true
status = "token_only"
source = "cnbeta-2021-10-17"

[[observation]]
id = "after"
checks = ["link.wechat.taobao"]
at = "2021-10-17"
status = "open"
source = "cnbeta-2021-10-17"
"#;

fn check(files: &[(&str, &str)]) -> Result<Catalog, Problems> {
    let files: Vec<(PathBuf, &str)> = files.iter().map(|(p, t)| (PathBuf::from(p), *t)).collect();
    validate(&files)
}

fn problems(files: &[(&str, &str)]) -> Vec<String> {
    check(files)
        .expect_err("the catalog should be rejected")
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_valid_catalog_resolves_everything() {
    let cat = check(&[("base.toml", BASE), ("facts.toml", FACTS)]).unwrap();
    assert_eq!(cat.checks[0].id, "link.wechat.taobao");
    assert_eq!(cat.observations.len(), 2);
    let before = &cat.observations[0];
    assert_eq!(before.precision, Precision::Approximate);
    assert_eq!(before.vantage, "CN");
    assert_eq!(before.observed_at.to_rfc3339(), "2021-06-30T16:00:00+00:00");
    assert_eq!(cat.observations[1].key, "after/link.wechat.taobao");
    let deadline = cat.requirements[0].deadline.unwrap();
    assert_eq!(deadline.to_rfc3339(), "2021-09-17T15:59:59.999999+00:00");
}

#[test]
fn unknown_slug_names_file_and_line() {
    let bad = FACTS.replace(
        "check = \"link.wechat.taobao\"",
        "check = \"link.wechat.tmall\"",
    );
    let p = problems(&[("base.toml", BASE), ("facts.toml", &bad)]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("facts.toml:4: unknown check \"link.wechat.tmall\""),
        "{p:?}"
    );

    let bad = BASE.replace("objects = [\"taobao\"]", "objects = [\"taobao\", \"tmal\"]");
    let p = problems(&[("base.toml", &bad)]);
    assert!(
        p.iter()
            .any(|m| m.contains("unknown platform \"tmal\" as object of a link check")),
        "{p:?}"
    );
}

#[test]
fn status_off_the_ladder_is_reported_with_the_ladder() {
    let bad = FACTS.replace("status = \"open\"", "status = \"warnd\"");
    let p = problems(&[("base.toml", BASE), ("facts.toml", &bad)]);
    assert_eq!(
        p,
        vec![
            "facts.toml:14: status \"warnd\" is not on the ladder of link checks (open, token_only)"
        ]
    );
}

#[test]
fn impossible_dates_are_reported() {
    let bad = FACTS.replace("at = \"2021-10-17\"", "at = \"2021-02-30\"");
    let p = problems(&[("base.toml", BASE), ("facts.toml", &bad)]);
    assert_eq!(
        p,
        vec!["facts.toml:13: at: \"2021-02-30\" is not a real calendar date"]
    );
    let bad = BASE.replace("deadline = \"2021-09-17\"", "deadline = \"2021-09-07\"");
    let p = problems(&[("base.toml", &bad)]);
    assert!(
        p[0].contains("deadline is before the requirement was issued"),
        "{p:?}"
    );
}

#[test]
fn duplicates_point_at_the_first_definition() {
    let extra = r#"
[[platform]]
slug = "wechat"
name_zh = "微信"
name_en = "WeChat again"
group = "tencent"
kind = "messaging"
"#;
    let p = problems(&[("base.toml", BASE), ("more.toml", extra)]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(
            "more.toml:3: duplicate platform slug \"wechat\" (first defined at base.toml:"
        ),
        "{p:?}"
    );

    let twice = format!(
        "{FACTS}\n[[observation]]\nid = \"before\"\ncheck = \"link.wechat.taobao\"\nat = \"2021-07-02\"\nstatus = \"open\"\nsource = \"cnbeta-2021-10-17\"\n"
    );
    let p = problems(&[("base.toml", BASE), ("facts.toml", &twice)]);
    assert!(
        p[0].contains("duplicate observation id \"before\""),
        "{p:?}"
    );
}

#[test]
fn a_syntax_error_is_reported_alone_and_the_others_are_not_checked_against_it() {
    // base.toml does not parse: facts.toml refers to everything in it, and would otherwise
    // be reported as citing an unknown check and an unknown source twice over.
    let broken = BASE.replace("name_en = \"WeChat\"", "name_en = \"WeChat");
    let rejected = check(&[("base.toml", &broken), ("facts.toml", FACTS)])
        .expect_err("the catalog should be rejected");
    assert_eq!(
        rejected.to_string(),
        "the catalog has 1 problem(s):\n  \
         base.toml:15: not valid TOML: invalid basic string, expected `\"`\n\
         the other files were not checked against base.toml: a file that does not parse is \
         not cross-checked; fix it, then check again\n"
    );
    // Alone, it is simply reported.
    let p = problems(&[("broken.toml", "[[platform]]\nslug = \"x\"\nname_zh = \n")]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("broken.toml:3: not valid TOML"), "{p:?}");
    let typo = BASE.replace("domains = [\"taobao.com\"]", "domain = [\"taobao.com\"]");
    let p = problems(&[("base.toml", &typo)]);
    assert!(p[0].contains("unknown field `domain`"), "{p:?}");
}

#[test]
fn every_mistake_of_every_entry_is_reported_in_one_run() {
    let extra = r#"
[[source]]
id = "Bad Source"
kind = "rumour"
publisher = ""
title = "t"
date = "2021-13-01"
language = "zh"
region = "CN"
url = "ftp://example.com"
titel = "typo"

[[requirement]]
id = "r2"
authority_zh = "x"
authority_en = "x"
title_zh = "x"
title_en = "x"
issued = "2021-09-09"
timezone = "Mars/Olympus"
scope = { kind = "lnk", subjects = ["nobody"], subject_kinds = ["robots"] }
compliant = []
source = "nobody"
"#;
    let p = problems(&[("base.toml", BASE), ("extra.toml", extra)]);
    assert_eq!(
        p,
        vec![
            "extra.toml:3: source id \"Bad Source\" is not an id (lowercase a-z, 0-9, _, -)",
            "extra.toml:4: source kind \"rumour\" is not article or manual",
            "extra.toml:5: publisher is empty",
            "extra.toml:7: date: \"2021-13-01\" is not a real calendar date",
            "extra.toml:10: url \"ftp://example.com\" is not an http(s) URL",
            "extra.toml:11: source: unknown field `titel`, expected one of `id`, `kind`, `publisher`, `title`, `title_en`, `date`, `language`, `region`, `url`",
            "extra.toml:15: authority_zh holds no Chinese character: it is shown on Chinese pages, write it in Chinese",
            "extra.toml:17: title_zh holds no Chinese character: it is shown on Chinese pages, write it in Chinese",
            "extra.toml:20: timezone \"Mars/Olympus\" is not an IANA time zone such as Asia/Shanghai",
            "extra.toml:21: platform kind \"robots\" is not one of messaging, social, short_video, ecommerce, local_services, content, payment, other",
            "extra.toml:21: unknown check kind \"lnk\" in scope",
            "extra.toml:21: unknown platform \"nobody\"",
            "extra.toml:22: compliant is empty: name the statuses that comply",
            "extra.toml:23: unknown source \"nobody\"",
        ]
    );
}

#[test]
fn a_broken_entry_is_still_known_to_what_refers_to_it() {
    // WeChat's entry has mistakes of its own; the check and the observations that name it
    // are not reported as naming an unknown platform on top of them.
    let broken = BASE.replace(
        "name_en = \"WeChat\"\ngroup = \"tencent\"",
        "nmae_en = \"WeChat\"\ngroup = \"tencent\"",
    );
    let p = problems(&[("base.toml", &broken), ("facts.toml", FACTS)]);
    assert_eq!(
        p,
        vec![
            "base.toml:12: platform: missing field `name_en`",
            "base.toml:15: platform: unknown field `nmae_en`, expected one of `slug`, `name_zh`, `name_en`, `group`, `kind`, `domains`",
        ]
    );
}

#[test]
fn control_characters_are_refused_where_they_are_written() {
    let nul = BASE.replace("name_en = \"WeChat\"", "name_en = \"We\\u0000Chat\"");
    let p = problems(&[("base.toml", &nul)]);
    assert_eq!(
        p,
        vec![
            "base.toml:15:14: platform.name_en holds the control character U+0000: this field is one line of plain text"
        ]
    );
    // A quote may hold a line break (and a tab), not an escape sequence.
    let quoted = FACTS.replace(
        "status = \"open\"\n",
        "status = \"open\"\nquote = \"\"\"\n第一行\n\t第二行\"\"\"\n",
    );
    let cat = check(&[("base.toml", BASE), ("facts.toml", &quoted)]).unwrap();
    assert_eq!(
        cat.observations[1].quote.as_deref(),
        Some("第一行\n\t第二行")
    );
    let escaped = FACTS.replace(
        "status = \"open\"\n",
        "status = \"open\"\nquote = \"red \\e[31m text\"\n",
    );
    let p = problems(&[("base.toml", BASE), ("facts.toml", &escaped)]);
    assert_eq!(
        p,
        vec![
            "facts.toml:15:14: observation.quote holds the control character U+001B: only tabs and line breaks are allowed in this field"
        ]
    );
}

#[test]
fn observation_after_its_source_was_published_is_impossible() {
    let bad = FACTS.replace("at = \"2021-10-17\"", "at = \"2021-10-18\"");
    let p = problems(&[("base.toml", BASE), ("facts.toml", &bad)]);
    assert!(
        p[0].contains("after its source \"cnbeta-2021-10-17\" was published"),
        "{p:?}"
    );
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let bad = FACTS
        .replace("status = \"open\"", "status = \"nope\"")
        .replace(
            "source = \"cnbeta-2021-10-17\"\n\n",
            "source = \"nobody\"\n\n",
        );
    let p = problems(&[("base.toml", BASE), ("facts.toml", &bad)]);
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn texts_for_chinese_pages_are_in_chinese_and_old_files_still_load() {
    // A note with its Chinese version, and one without (an older file): both load, and
    // each language gets its own note.
    let notes = FACTS
        .replace(
            "status = \"token_only\"\n",
            "status = \"token_only\"\nnote_en = \"Copy the token.\"\nnote_zh = \"须复制口令。\"\n",
        )
        .replace(
            "status = \"open\"\n",
            "status = \"open\"\nnote_en = \"Opens.\"\n",
        );
    let cat = check(&[("base.toml", BASE), ("facts.toml", &notes)]).unwrap();
    assert_eq!(cat.observations[0].note_zh.as_deref(), Some("须复制口令。"));
    assert_eq!(cat.observations[1].note_en.as_deref(), Some("Opens."));
    assert_eq!(cat.observations[1].note_zh, None);

    // The English pasted where the Chinese belongs is refused at its line.
    let pasted = notes.replace(
        "note_zh = \"须复制口令。\"",
        "note_zh = \"Copy the token.\"",
    );
    let p = problems(&[("base.toml", BASE), ("facts.toml", &pasted)]);
    assert_eq!(
        p,
        [
            "facts.toml:9: note_zh holds no Chinese character: it is shown on Chinese pages, write it in Chinese"
        ]
    );
    let title = BASE.replace(
        "title_zh = \"解除屏蔽\"",
        "title_zh = \"Lift link blocking\"",
    );
    let p = problems(&[("base.toml", &title)]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("title_zh holds no Chinese character"),
        "{p:?}"
    );
}

#[test]
fn the_line_index_agrees_with_counting_lines_from_the_top() {
    let text = "a = 1\n\n# 注释\r\nb = \"x\"\r\n\n[[platform]]\nslug = \"q\"";
    let lines = LineIndex::new(text);
    for offset in 0..=text.len() + 3 {
        assert_eq!(lines.line(offset), line_of(text, offset), "offset {offset}");
    }
    assert_eq!(LineIndex::new("").line(0), 1);
}

#[test]
fn a_mistake_deep_in_a_long_file_names_its_own_line() {
    // Thousands of entries in one file: each problem still names the line it is on.
    let mut platforms = String::from(BASE);
    let first_line = platforms.lines().count() + 1;
    for i in 0..2_000 {
        let group = if i == 1_234 { "nobody" } else { "tencent" };
        platforms.push_str(&format!(
            "\n[[platform]]\nslug = \"p{i}\"\nname_zh = \"平台\"\nname_en = \"P\"\n\
             group = \"{group}\"\nkind = \"other\"\n"
        ));
    }
    // Each entry takes 7 lines, starting with a blank one; `group` is its 5th line after it.
    let line = first_line + 1_234 * 7 + 5;
    assert_eq!(
        problems(&[("big.toml", &platforms)]),
        vec![format!("big.toml:{line}: unknown group \"nobody\"")]
    );
}
