//! Submitting hand tests (issue 13): the search, the form with screenshots, "my
//! submissions", and screenshots treated as untrusted files.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{TestApp, TestDb, Visitor, sel};
use hutong::domain::Role;
use image::{DynamicImage, ImageEncoder, ImageFormat};
use std::io::Cursor;

const CHECK: &str = "link.wechat.taobao";
const FORM: &str = "/contribute/link.wechat.taobao";

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

/// The form's fields, all filled in well, with this page's token.
fn fields(csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_string()),
        ("observed_at", "2026-11-29T21:30".into()),
        ("status", "blocked".into()),
        ("device", "iPhone 13".into()),
        ("os", "iOS 18.1".into()),
        ("app", "WeChat".into()),
        ("app_version", "8.0.50".into()),
        ("network", "China Mobile 5G".into()),
        ("network_region", "Beijing".into()),
        ("account_region", "mainland China".into()),
        (
            "steps",
            "Pasted a Taobao link in a chat and tapped it.".into(),
        ),
        ("seen", "A page saying the link cannot be opened.".into()),
    ]
}

async fn submit(
    v: &mut Visitor<'_>,
    fields: &[(&'static str, String)],
    files: &[(&str, &[u8])],
) -> crate::common::Reply {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let files: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| ("screenshot", *name, *bytes))
        .collect();
    v.post_multipart(FORM, &fields, &files).await
}

async fn signed_in<'a>(app: &'a TestApp, login: &str) -> Visitor<'a> {
    account(
        app.store(),
        login,
        Role::Contributor,
        &format!("Tester {login}"),
    )
    .await;
    let mut v = Visitor::new(app);
    assert_eq!(v.sign_in(login, PASSWORD).await.status, 303);
    v
}

async fn a_hand_test_is_stored_at_once_and_is_not_public(db: TestDb) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .try_init();
    let app = TestApp::on(db.clone());
    let mut li = signed_in(&app, "li").await;
    // The check is found by a platform's name in either language.
    for q in ["%E6%B7%98%E5%AE%9D", "taobao"] {
        let found = li.get(&format!("/contribute?q={q}")).await;
        assert_eq!(found.status, 200);
        assert!(
            found
                .html()
                .select(&sel(&format!("a[href^='{FORM}']")))
                .next()
                .is_some(),
            "{q}: {}",
            found.body
        );
    }
    let form = li.get(FORM).await;
    assert_eq!(form.status, 200);
    let before = app.api_observations(CHECK).await.json();
    let shot = png(390, 844);
    let reply = submit(&mut li, &fields(&csrf_in(&form)), &[("chat.png", &shot)]).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(
        reply
            .header("location")
            .starts_with("/contribute/mine?submitted="),
        "{:?}",
        reply.headers
    );
    let mine = li.get(reply.header("location")).await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("waiting for review"), "{}", mine.body);
    assert!(
        mine.body.contains("is saved and waits for review"),
        "{}",
        mine.body
    );
    let thumb_src = mine
        .html()
        .select(&sel("td.thumbs img"))
        .next()
        .and_then(|i| i.value().attr("src").map(str::to_string))
        .expect("a thumbnail");
    let thumb = li.get(&thumb_src).await;
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.content_type, "image/png");
    assert_eq!(thumb.header("x-content-type-options"), "nosniff");
    assert_eq!(thumb.header("content-security-policy"), "sandbox");
    // Not public: nothing on the check's page or in its observations, and the screenshot
    // is for its contributor (and reviewers) only.
    assert_eq!(app.api_observations(CHECK).await.json(), before);
    let page = app.check_page(CHECK, "").await;
    assert!(!page.body.contains("Pasted a Taobao link"), "{}", page.body);
    let anonymous = app.get(&thumb_src).await;
    assert_eq!(anonymous.status, 303);
    let mut other = signed_in(&app, "wang").await;
    assert_eq!(other.get(&thumb_src).await.status, 404);
    // Stored for good: a new server on the same database still has it.
    let again = TestApp::on(db);
    let stored = again.store().submissions_of(1).await.expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].screenshots.len(), 1);
    assert_eq!(stored[0].vantage.device, "iPhone 13");
}

#[tokio::test]
async fn a_hand_test_is_stored_at_once_and_is_not_public_on_sqlite() {
    a_hand_test_is_stored_at_once_and_is_not_public(
        crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await,
    )
    .await;
}

#[tokio::test]
async fn a_hand_test_is_stored_at_once_and_is_not_public_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&crate::common::real_catalog())
        .await
        .expect("load the catalog");
    a_hand_test_is_stored_at_once_and_is_not_public(db).await;
}

#[tokio::test]
async fn signing_in_is_needed_to_contribute() {
    let app = TestApp::new().await;
    for path in ["/contribute", FORM, "/contribute/mine"] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 303, "{path}");
        assert_eq!(
            reply.header("location"),
            format!("/sign-in?next={}", path.replace('/', "%2F"))
        );
    }
}

/// A PNG that says it is `width` × `height` pixels, in a few hundred bytes: a decoder
/// believing it would allocate gigabytes.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    // IHDR's data starts at byte 16 (8 signature + 4 length + 4 type); its CRC follows
    // the 13 data bytes and covers type and data.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    bytes
}

#[tokio::test]
async fn an_upload_disguised_as_an_image_is_refused_naming_the_file_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li").await;
    let jpeg = {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(image::RgbImage::new(200, 200))
            .write_to(&mut out, ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "receipt.png",
            b"<!doctype html><html><script>alert(document.cookie)</script></html>".to_vec(),
            "not a PNG, JPEG or WebP image",
        ),
        (
            "logo.png",
            br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>"#.to_vec(),
            "not a PNG, JPEG or WebP image",
        ),
        (
            "bomb.png",
            png_claiming(100_000, 100_000),
            "the image is too large (100000 × 100000 pixels",
        ),
        (
            "cut.jpg",
            jpeg[..jpeg.len() / 2].to_vec(),
            "the image is damaged or cut short",
        ),
        (
            "<img src=x onerror=alert(1)>.png",
            b"not an image".to_vec(),
            "not a PNG, JPEG or WebP image",
        ),
    ];
    let good = png(100, 100);
    for (name, bytes, why) in &cases {
        let form = li.get(FORM).await;
        let mut f = fields(&csrf_in(&form));
        f.retain(|(k, _)| *k != "steps");
        f.push(("steps", "</textarea><script>alert('steps')</script>".into()));
        // One good screenshot beside the bad one: neither is kept.
        let reply = submit(&mut li, &f, &[("good.png", &good), (name, bytes)]).await;
        assert_eq!(reply.status, 400, "{name}");
        let alert: String = reply
            .html()
            .select(&sel("[role=alert]"))
            .next()
            .map(|a| a.text().collect())
            .unwrap_or_default();
        assert!(alert.contains(&format!("{name}: ")), "{name}: {alert}");
        assert!(alert.contains(why), "{name}: {alert}");
        // What was typed is kept, as text.
        assert!(
            !reply.body.contains("<script>alert('steps')"),
            "{}",
            reply.body
        );
        assert!(!reply.body.contains("<img src=x"), "{}", reply.body);
        let steps: String = reply
            .html()
            .select(&sel("textarea#steps"))
            .next()
            .map(|t| t.text().collect())
            .unwrap_or_default();
        assert_eq!(steps, "</textarea><script>alert('steps')</script>");
    }
    assert_eq!(app.store().submission_totals().await.unwrap(), (0, 0));
    assert_eq!(app.store().snapshot_totals().await.unwrap().0, 0);
}

#[tokio::test]
async fn a_screenshots_gps_position_is_gone_after_upload() {
    use exif::{Field, In, Rational, Tag, Value};
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li").await;
    // A photo that says where it was taken: 39°54'27" N, 116°23'50" E (Tian'anmen).
    let latitude = Field {
        tag: Tag::GPSLatitude,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![
            Rational::from((39, 1)),
            Rational::from((54, 1)),
            Rational::from((27, 1)),
        ]),
    };
    let longitude = Field {
        tag: Tag::GPSLongitude,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![
            Rational::from((116, 1)),
            Rational::from((23, 1)),
            Rational::from((50, 1)),
        ]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&latitude);
    writer.push_field(&longitude);
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("write EXIF");
    let mut photo = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut photo);
    encoder
        .set_exif_metadata(tiff.into_inner())
        .expect("JPEG takes EXIF");
    let pixels = image::RgbImage::from_pixel(120, 80, image::Rgb([200, 30, 30]));
    encoder
        .write_image(pixels.as_raw(), 120, 80, image::ExtendedColorType::Rgb8)
        .expect("encode");
    let exif_in = exif::Reader::new()
        .read_from_container(&mut Cursor::new(&photo))
        .expect("the photo has EXIF");
    assert!(exif_in.get_field(Tag::GPSLatitude, In::PRIMARY).is_some());

    let form = li.get(FORM).await;
    let reply = submit(&mut li, &fields(&csrf_in(&form)), &[("photo.jpg", &photo)]).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = li.get("/submissions/1/screenshots/1").await;
    assert_eq!(stored.status, 200);
    assert_eq!(
        image::guess_format(&stored.bytes).unwrap(),
        ImageFormat::Png
    );
    let decoded = image::load_from_memory(&stored.bytes).expect("an image");
    assert_eq!((decoded.width(), decoded.height()), (120, 80));
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(&stored.bytes))
            .is_err(),
        "no EXIF left"
    );
    let degrees: Vec<u8> = [39u32, 1, 54, 1, 27, 1]
        .iter()
        .flat_map(|n| n.to_be_bytes())
        .collect();
    assert!(
        !stored.bytes.windows(degrees.len()).any(|w| w == degrees),
        "the position's numbers are not in the file"
    );
}

#[tokio::test]
async fn a_submission_without_or_with_a_wrong_csrf_token_is_refused() {
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li").await;
    let _ = li.get(FORM).await;
    let shot = png(50, 50);
    for token in ["", "forged"] {
        let reply = submit(&mut li, &fields(token), &[("a.png", &shot)]).await;
        assert_eq!(reply.status, 403, "{token:?}");
    }
    assert_eq!(app.store().submission_totals().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn a_form_with_mistakes_comes_back_with_each_named() {
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li").await;
    let form = li.get("/contribute/link.wechat.taobao?lang=zh-CN").await;
    let mut f = fields(&csrf_in(&form));
    for (k, v) in &mut f {
        match *k {
            "observed_at" => *v = "2099-01-01T00:00".into(),
            "status" => *v = "accepted".into(),
            "device" => v.clear(),
            _ => {}
        }
    }
    let reply = li
        .post_multipart(
            "/contribute/link.wechat.taobao?lang=zh-CN",
            &f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
            &[],
        )
        .await;
    assert_eq!(reply.status, 400);
    for words in [
        "观察时间",
        "请从该检查项的状态中选择",
        "设备：必填",
        "请上传 1 至 5 张截图",
    ] {
        assert!(reply.body.contains(words), "{words}: {}", reply.body);
    }
    assert_eq!(app.store().submission_totals().await.unwrap(), (0, 0));
}
