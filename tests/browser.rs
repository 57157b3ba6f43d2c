//! End to end in headless Chromium (Debian's `chromium` and `chromium-driver`) through
//! WebDriver, against the real server on a loopback port: sign in, search and narrow by
//! a facet, play a video and seek from its cue list, open a PDF, curate a resource as a
//! librarian and find it, and a borrower turned away from the editor. Any console error
//! fails the test. Screenshots of the main pages go to `target/screenshots/`.
//!
//! Without a browser these tests say so and pass, unless `JINGSHI_REQUIRE_BROWSER=1`
//! (CI sets it) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use jingshi::accounts::Role;
use serde_json::{Value, json};

use crate::common::{ADMIN_PASSWORD, TestApp, USER_PASSWORD};

const DRIVERS: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];
/// The real binary behind Debian's `/usr/bin/chromium` shell wrapper starts ~3× faster.
const BROWSERS: &[&str] = &[
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];

fn first_existing(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .into_iter()
        .chain(candidates.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

pub(crate) fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// A chromedriver of ours with one browser session.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    driver_url: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Only the chromedriver this test started, by its handle.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Starts chromedriver and a headless browser; `None` (after saying why) when no
/// browser is installed and CI does not require one.
pub(crate) async fn launch() -> Option<Browser> {
    let driver = first_existing("CHROMEDRIVER", DRIVERS);
    let browser = first_existing("CHROME_BIN", BROWSERS);
    let (Some(driver), Some(browser)) = (driver, browser) else {
        let message = "no Chromium/chromedriver found (apt-get install chromium chromium-driver); \
                       browser tests skipped";
        if std::env::var("JINGSHI_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{message}, but JINGSHI_REQUIRE_BROWSER=1 requires them");
        }
        eprintln!("SKIPPED: {message}");
        return None;
    };
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        listener.local_addr().expect("addr").port()
    };
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver_url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http
        .get(format!("{driver_url}/status"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let profile = tempfile::tempdir().expect("profile folder");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": browser,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--autoplay-policy=no-user-gesture-required",
                "--lang=zh-CN",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(capabilities);
    let client = builder.connect(&driver_url).await.expect("browser session");
    let session = client
        .session_id()
        .await
        .expect("session id")
        .expect("a session");
    Some(Browser {
        client,
        driver: child,
        driver_url,
        session,
        http,
        _profile: profile,
    })
}

impl Browser {
    pub(crate) async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("navigate");
    }

    pub(crate) async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub(crate) async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|err| panic!("script failed: {err}\n{script}"))
    }

    /// Polls `script` until it returns something truthy, for up to `secs` seconds.
    pub(crate) async fn wait_js(&self, script: &str, what: &str, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let value = self.js(script).await;
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn wait_path(&self, contains: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let path = self.path().await;
            if path.contains(contains) {
                return path;
            }
            assert!(
                Instant::now() < deadline,
                "expected to reach {contains}, at {path}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"))
            .text()
            .await
            .expect("text")
    }

    pub(crate) async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"))
            .click()
            .await
            .expect("click");
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Sets a form field's value by script (date inputs take typed text by locale).
    pub(crate) async fn set_field(&self, css: &str, value: &str) {
        let script = format!(
            "var f = document.querySelector({css:?}); f.value = {value:?}; return f.value;"
        );
        assert_eq!(self.js(&script).await, json!(value), "{css}");
    }

    /// Console messages at error level since the last call (the log is drained).
    pub(crate) async fn console_errors(&self) -> Vec<String> {
        let resp = self
            .http
            .post(format!(
                "{}/session/{}/se/log",
                self.driver_url, self.session
            ))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .expect("log request");
        let body: Value = resp.json().await.expect("log json");
        let entries = body["value"]
            .as_array()
            .unwrap_or_else(|| panic!("the browser log is not readable: {body}"));
        entries
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// Fails on any console error except the ones `allowed` (substrings).
    pub(crate) async fn assert_console_clean(&self, context: &str, allowed: &[&str]) {
        let errors: Vec<String> = self
            .console_errors()
            .await
            .into_iter()
            .filter(|e| !allowed.iter().any(|a| e.contains(a)))
            .collect();
        assert!(errors.is_empty(), "console errors {context}: {errors:#?}");
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(screenshots_dir().join(format!("{name}.png")), png).expect("save");
    }

    /// Screenshots `name` at desktop width and `name-phone` at phone width; on the phone
    /// nothing may stick out sideways (tables scroll inside their own box).
    pub(crate) async fn photograph_desktop_and_phone(&self, name: &str) {
        self.screenshot_page(name).await;
        self.client.set_window_size(390, 844).await.expect("phone");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let wide = self
            .js("return [...document.querySelectorAll('body *')]\
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                     && !e.closest('.table-wrap'))\
                   .map(e => e.tagName + '.' + e.className)")
            .await;
        assert_eq!(wide, serde_json::json!([]), "{name}: sideways on a phone");
        self.screenshot_page(&format!("{name}-phone")).await;
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("desktop");
    }

    /// A screenshot of the whole page (the window grows to the page, then shrinks back).
    pub(crate) async fn screenshot_page(&self, name: &str) {
        let (width, height) = {
            let size = self
                .js("return [window.outerWidth, window.outerHeight, \
                     document.documentElement.scrollHeight, window.innerHeight]")
                .await;
            let n = |i: usize| size[i].as_u64().unwrap_or(900) as u32;
            (n(0), (n(1), n(2) + n(1).saturating_sub(n(3))))
        };
        let (outer, full) = height;
        self.client
            .set_window_size(width, full.min(4000))
            .await
            .expect("grow window");
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.screenshot(name).await;
        self.client
            .set_window_size(width, outer)
            .await
            .expect("restore window");
    }

    /// Runs a Chrome DevTools command through chromedriver (e.g. print media emulation).
    pub(crate) async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let resp = self
            .http
            .post(format!(
                "{}/session/{}/goog/cdp/execute",
                self.driver_url, self.session
            ))
            .json(&json!({"cmd": cmd, "params": params}))
            .send()
            .await
            .expect("cdp request");
        resp.json().await.expect("cdp json")
    }

    /// Starts the page's player, muted (so no gesture is needed), once it knows the film.
    pub(crate) async fn play_muted(&self) {
        self.wait_js(
            "return document.getElementById('player').readyState >= 1",
            "video metadata",
            30,
        )
        .await;
        let played = self
            .js(
                "const v = document.getElementById('player'); v.muted = true; \
                 return v.play().then(() => 'playing', e => String(e));",
            )
            .await;
        assert_eq!(played, "playing");
    }

    pub(crate) async fn sign_in(&self, app: &TestApp, username: &str, password: &str) {
        self.goto(app, "/").await;
        self.wait_path("/login").await;
        self.type_into("#username", username).await;
        self.type_into("#password", password).await;
        self.click(".login button[type=submit]").await;
        self.wait_js(
            "return document.querySelector('.who .user') !== null",
            "signed-in header",
            30,
        )
        .await;
    }
}

/// Runs `journey` with the browser, closes the session whatever happens, then reports.
pub(crate) async fn with_browser<F, Fut>(app: TestApp, journey: F)
where
    F: FnOnce(Arc<Browser>, Arc<TestApp>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(browser) = launch().await else {
        return;
    };
    let (browser, app) = (Arc::new(browser), Arc::new(app));
    let outcome = tokio::spawn(journey(browser.clone(), app.clone())).await;
    let _ = browser.client.clone().close().await;
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("browser journey failed: {err}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrower_searches_watches_and_is_kept_out_of_the_editor() {
    let app = TestApp::spawn_with_demo().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    with_browser(app, |b, app| async move {
        // Sign-in page first (anonymous visit redirects there).
        b.goto(&app, "/").await;
        b.wait_path("/login").await;
        b.screenshot("login").await;
        b.assert_console_clean("on the sign-in page", &[]).await;
        b.sign_in(&app, "officer", USER_PASSWORD).await;
        assert!(
            b.text(".who .user")
                .await
                .contains("国家税务总局云南省税务局")
        );
        b.screenshot_page("home").await;

        // Title completions while typing.
        b.type_into("#q", "月饼").await;
        b.wait_js(
            "return document.querySelectorAll('#q-suggestions li').length",
            "title completions",
            30,
        )
        .await;

        // Search 八项规定, then narrow by a facet.
        b.type_into("#q", "八项规定").await;
        b.click(".searchbox button").await;
        b.wait_path("/search?q=").await;
        let marks = b
            .js("return document.querySelectorAll('.hit mark').length")
            .await;
        assert!(marks.as_u64().unwrap_or(0) > 0, "highlighted matches");
        let total_before = b.text(".results-head h2 strong").await;
        b.screenshot_page("search").await;
        let facet = b
            .client
            .find(Locator::XPath(
                "//aside//section[h2='类型']//a[contains(., '警示教育片')]",
            ))
            .await
            .expect("kind facet");
        facet.click().await.expect("click facet");
        b.wait_path("kind=video").await;
        assert!(b.text(".active-filters").await.contains("类型：警示教育片"));
        let kinds = b
            .js("return [...document.querySelectorAll('.hit .badge.kind')].map(e => e.textContent)")
            .await;
        let kinds = kinds.as_array().expect("kinds");
        assert!(!kinds.is_empty(), "video results");
        assert!(kinds.iter().all(|k| k == "警示教育片"), "{kinds:?}");
        assert_ne!(
            b.text(".results-head h2 strong").await,
            "",
            "{total_before}"
        );
        b.screenshot("search-narrowed").await;
        b.assert_console_clean("while searching", &[]).await;

        // A video plays, its subtitles load, a cue click seeks.
        b.goto(&app, "/resources/demo-video-mooncake").await;
        b.play_muted().await;
        b.wait_js(
            "const v = document.getElementById('player'); \
             return v.currentTime > 0.3 && v.readyState >= 2",
            "playback to advance",
            30,
        )
        .await;
        let cues = b
            .wait_js(
                "const t = document.getElementById('player').textTracks[0]; \
                 return t && t.mode === 'showing' && t.cues && t.cues.length",
                "subtitle cues from the <track>",
                30,
            )
            .await;
        assert!(cues.as_u64().unwrap_or(0) >= 5, "{cues}");
        b.click(".cues li:nth-child(5) a").await;
        let at = b
            .wait_js(
                "const t = document.getElementById('player').currentTime; \
                 return t >= 20.9 && t < 30 ? t : 0",
                "currentTime to move to the cue at 00:21",
                30,
            )
            .await;
        assert!(at.as_f64().unwrap_or(0.0) >= 20.9);
        assert!(
            b.path().await.ends_with("?t=21"),
            "the address names the moment"
        );
        b.js("document.getElementById('player').pause()").await;
        b.screenshot("resource-video").await;

        // ?t= opens the player at that moment (SRT subtitles served as WebVTT).
        b.goto(&app, "/resources/demo-video-safety-line?t=26").await;
        b.wait_js(
            "const v = document.getElementById('player'); \
             return v.readyState >= 1 && Math.abs(v.currentTime - 26) < 1",
            "player to open at 26 s",
            30,
        )
        .await;
        b.wait_js(
            "const t = document.getElementById('player').textTracks[0]; \
             return t && t.cues && t.cues.length",
            "SRT cues as WebVTT",
            30,
        )
        .await;
        b.assert_console_clean("on the video pages", &[]).await;

        // A loan-only resource says why and how; the editor is closed to borrowers.
        b.goto(&app, "/resources/demo-textbook-sanctions").await;
        assert!(b.text(".locked").await.contains("借阅"));
        assert_eq!(
            b.js("return document.querySelectorAll('iframe.pdf').length")
                .await,
            0
        );
        b.screenshot("resource-locked").await;
        b.goto(&app, "/librarian/resources/new").await;
        assert!(b.text(".error-page h1").await.contains("没有权限"));
        assert_eq!(
            b.js("return document.querySelectorAll('form.editor').length")
                .await,
            0
        );
        b.screenshot("forbidden").await;
        // The 403 itself is the only console error there (which also shows that the
        // log is read).
        let errors = b.console_errors().await;
        assert!(
            errors.iter().all(|e| e.contains("403")),
            "console errors on the 403 page: {errors:#?}"
        );
        assert!(
            !errors.is_empty(),
            "the browser reports the 403 in its console"
        );

        // The phone layout of the search page.
        b.client.set_window_size(390, 844).await.expect("resize");
        b.goto(&app, "/search?q=%E5%8F%97%E8%B4%BF").await;
        let overflow = b
            .js("return document.documentElement.scrollWidth > window.innerWidth + 1")
            .await;
        assert_eq!(overflow, false, "no horizontal scrolling on a phone");
        b.screenshot("search-phone").await;
        b.assert_console_clean("on the phone layout", &[]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_creates_uploads_publishes_and_finds_a_resource() {
    let app = TestApp::spawn_with_demo().await;
    let upload_dir = tempfile::tempdir().expect("upload folder");
    let upload = upload_dir.path().join("浏览器测试讲稿.md");
    std::fs::write(
        &upload,
        "# 廉政讲稿（浏览器测试）\n\n琥珀蜻蜓专题：节日期间严防“四风”反弹。\n",
    )
    .expect("upload file");
    with_browser(app, move |b, app| async move {
        let _keep = upload_dir;
        b.sign_in(&app, "admin", ADMIN_PASSWORD).await;

        // A PDF opens in the browser's viewer.
        b.goto(&app, "/resources/demo-tobacco-procurement-case").await;
        let pdf = b
            .js("return document.querySelector('iframe.pdf').getAttribute('src')")
            .await;
        let pdf = pdf.as_str().expect("pdf src").to_owned();
        let served = b
            .js(&format!(
                "return fetch('{pdf}').then(r => [r.status, r.headers.get('content-type')])"
            ))
            .await;
        assert_eq!(served, json!([200, "application/pdf"]));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        b.screenshot("resource-pdf").await;
        b.goto(&app, &pdf).await;
        let content_type = b
            .wait_js("return document.contentType", "the PDF document", 30)
            .await;
        assert_eq!(content_type, "application/pdf");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        b.screenshot("pdf-viewer").await;
        b.assert_console_clean("opening a PDF", &[]).await;

        // The catalogue list and a new resource through the editor.
        b.goto(&app, "/librarian/").await;
        b.screenshot("librarian-catalogue").await;
        b.goto(&app, "/librarian/resources/new").await;
        // Saving without a title: told what to fix, nothing lost.
        b.type_into("#f-summary", "浏览器测试摘要").await;
        b.click("#save").await;
        b.wait_js("return document.querySelector('#e-title') !== null", "title error", 30)
            .await;
        assert_eq!(
            b.js("return document.getElementById('f-summary').value").await,
            "浏览器测试摘要"
        );
        b.screenshot("librarian-editor-error").await;
        b.assert_console_clean("on the refused form", &["422"]).await;
        b.type_into("#f-title", "浏览器测试：节日廉政讲稿").await;
        b.client
            .find(Locator::Css("#f-kind"))
            .await
            .expect("kind")
            .select_by_value("textbook")
            .await
            .expect("select kind");
        b.click("input[name=sectors][value='税务']").await;
        b.click("input[name=violations][value='违反中央八项规定精神']").await;
        b.click("input[name=access][value=open]").await;
        b.click("#save").await;
        let editor = b.wait_path("notice=created").await;
        let id = editor
            .trim_start_matches("/librarian/resources/")
            .split('?')
            .next()
            .expect("id")
            .to_owned();

        // Upload with the progress bar (seen through a marker kept across the reload).
        b.js("const p = document.getElementById('upload-progress'); \
              new MutationObserver(() => { if (!p.hidden) sessionStorage.setItem('progress', 'shown'); }) \
                .observe(p, {attributes: true});")
            .await;
        b.client
            .find(Locator::Css("#upload-file"))
            .await
            .expect("file input")
            .send_keys(upload.to_str().expect("path"))
            .await
            .expect("choose file");
        b.click("#upload-button").await;
        b.wait_path("notice=uploaded").await;
        assert_eq!(
            b.js("return sessionStorage.getItem('progress')").await,
            "shown",
            "progress indicator"
        );
        let files = b.text(".files table").await;
        assert!(files.contains("浏览器测试讲稿.md") && files.contains("已提取文字"), "{files}");
        b.screenshot_page("librarian-editor").await;

        // Publish, then find it by a word of the uploaded text.
        b.click("#publish").await;
        b.wait_path("notice=published").await;
        assert!(b.text(".page-head .meta").await.contains("已发布"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            b.goto(&app, "/search?q=%E7%90%A5%E7%8F%80%E8%9C%BB%E8%9C%93").await;
            let found = b
                .js(&format!(
                    "return document.querySelector('.hit a[href=\"/resources/{id}\"]') !== null"
                ))
                .await;
            if found == true {
                break;
            }
            assert!(Instant::now() < deadline, "published resource not found by search");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        b.click(&format!(".hit a[href=\"/resources/{id}\"]")).await;
        b.wait_path(&format!("/resources/{id}")).await;
        assert!(b.text(".reader").await.contains("琥珀蜻蜓专题"));
        b.goto(&app, &format!("/librarian/resources/{id}/history")).await;
        assert!(b.text(".history").await.contains("发布"));
        b.screenshot("librarian-history").await;
        b.goto(&app, "/librarian/audit?action=file_uploaded").await;
        assert!(b.text("table.audit").await.contains(&id));
        b.screenshot("librarian-audit").await;
        b.goto(&app, "/no-such-page").await;
        b.screenshot("not-found").await;
        b.assert_console_clean("while curating", &["404"]).await;
    })
    .await;
}
