//! The test the HTTP pair exists for: a real browser (headless Chromium)
//! visits `http-server`, and the page it renders shows that browser's own
//! request — its User-Agent and its address:port, the same the server logged.
//!
//! Chromium runs with a fresh profile, no sandbox (tests may run as root), no
//! GPU and no background traffic, and is killed if it takes too long.

mod support;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Server, tool};

const T: Duration = Duration::from_secs(20);
/// A cold Chromium start on a slow CI machine can take a while.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The five HTML escapes, as the server's page applies them.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Kills Chromium and every process it started (its process group).
struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        // `-s KILL -- -PID`: the `--` matters. procps-ng's kill (4.0.2, in
        // Debian 12) reads `kill -KILL -12345` as `kill(-1, SIGKILL)` — every
        // process on the machine — so the group must come after `--`.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `chromium --dump-dom URL` and returns the DOM it printed.
fn dump_dom(chromium: &std::path::Path, url: &str) -> String {
    let profile = std::env::temp_dir().join(format!(
        "netlab-chromium-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&profile).unwrap();
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0); // so that the whole group can be killed
    }
    let mut browser = Browser(command.spawn().expect("start chromium"));
    let mut stdout = browser.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = stdout.read_to_string(&mut dom);
        dom
    });
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    loop {
        if let Ok(Some(_)) = browser.0.try_wait() {
            break;
        }
        if Instant::now() >= deadline {
            drop(browser);
            let _ = std::fs::remove_dir_all(&profile);
            panic!("chromium did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(browser);
    let dom = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    dom
}

#[test]
fn a_real_browser_sees_its_own_request() {
    let Some(chromium) = tool("chromium") else {
        return;
    };
    let server = Server::start("http-server", &["--port", "0"]);
    let dom = dump_dom(&chromium, &format!("http://{}/", server.addr()));

    // The server logs each request with the User-Agent it received.
    let line = server
        .log
        .wait_for("\"GET / HTTP/1.1\" → 200 OK", T)
        .unwrap_or_else(|| {
            panic!(
                "the browser's request is not in the log:\n{}",
                server.log.text()
            )
        });
    let user_agent = line
        .trim_end()
        .strip_suffix('"')
        .and_then(|l| l.rsplit_once('"'))
        .map(|(_, ua)| ua.to_string())
        .expect("the log line ends with the quoted User-Agent");
    assert!(
        user_agent.contains("Chrome/"),
        "not Chromium's User-Agent: {user_agent}"
    );

    // The rendered page shows that exact User-Agent…
    let row = format!(
        "<th>User-Agent</th><td class=\"header-value\">{}</td>",
        escape(&user_agent)
    );
    assert!(
        dom.contains(&row),
        "the page does not show the browser's User-Agent {user_agent:?}:\n{dom}"
    );
    assert!(dom.contains("<td id=\"method\">GET</td>"), "{dom}");
    assert!(dom.contains("<td id=\"version\">HTTP/1.1</td>"), "{dom}");
    // …and the browser's own address and port, as the server logged them.
    let client = line
        .split_whitespace()
        .nth(2)
        .expect("the log line starts with the client address");
    assert!(client.starts_with("127.0.0.1:"), "{line}");
    assert!(
        dom.contains(&format!("<code id=\"client\">{client}</code>")),
        "{client} not in:\n{dom}"
    );
}
