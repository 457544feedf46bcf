//! # Serving a folder, and never anything outside it
//!
//! With `--root DIR`, a request for `/img/cat.png` is answered with the file
//! `DIR/img/cat.png` — this is what Apache does with `/var/www/html`. The
//! danger is the path: `/../../etc/passwd`, or the same written
//! `/%2e%2e/%2e%2e/etc/passwd` (`%2e` is a dot, percent-encoded), would walk
//! out of `DIR`. This is "path traversal", one of the most common web server
//! holes. Two defences, both needed:
//!
//! 1. [`url_to_relative`] decodes the path *first*, then refuses any `..`
//!    segment (and NUL bytes, and backslashes, which are separators on Windows);
//! 2. [`resolve`] asks the OS for the real location of the file (following
//!    symbolic links) and refuses it unless it is still inside `DIR`: a link
//!    `DIR/escape -> /etc` passes the first check but not this one.
//!
//! And one rule about what *is* inside `DIR`: a name starting with a dot is a
//! hidden file or folder (`.git/`, `.env`, `.htpasswd`), which holds what was
//! never meant to be published — a project's history, its passwords. Serve
//! your project folder with `--root .` and, without this rule, anyone could
//! fetch `/.git/config` or `/.env`. So [`resolve`] answers any path with such
//! a name `404 Not Found`, the same answer whether the file exists or not
//! (a 403 would tell "yes, there is a `.env` here"), as Apache does for
//! `.ht*` files and nginx setups commonly do for all dotfiles. One exception:
//! `/.well-known/` (RFC 8615), the folder made to be public (`security.txt`,
//! the files Let's Encrypt checks). The names are judged twice, as `..` is:
//! as the URL writes them, and as they really are on the disk, since a
//! symbolic link (`env -> .env`) or, on Windows, a short name (`GIT~1` for
//! `.git`) reaches a hidden file without naming it.

use std::path::{Component, Path, PathBuf};

use crate::response::Status;

/// Why a path is not served: the status and a plain-words reason.
pub type Refusal = (Status, String);

/// Decodes `%XX` escapes (RFC 3986). `None` when an escape is malformed.
///
/// ```
/// assert_eq!(http::files::percent_decode("/a%20b/%2e%2e"), Some(b"/a b/..".to_vec()));
/// assert_eq!(http::files::percent_decode("/bad%2"), None);
/// assert_eq!(http::files::percent_decode("/bad%+1"), None);
/// ```
pub fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            // Exactly two hex digits: from_str_radix alone would accept "%+1".
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Turns a URL path (`/docs/a%20b.html`) into a relative file path
/// (`docs/a b.html`) that cannot leave the served folder.
pub fn url_to_relative(url_path: &str) -> Result<PathBuf, Refusal> {
    let bad = |why: &str| (Status::BadRequest, why.to_string());
    if !url_path.starts_with('/') {
        return Err(bad("the path must start with /"));
    }
    let decoded =
        percent_decode(url_path).ok_or_else(|| bad("the path has a malformed %-escape"))?;
    let decoded =
        String::from_utf8(decoded).map_err(|_| bad("the path is not valid UTF-8 once decoded"))?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(bad("the path contains a NUL byte or a backslash"));
    }
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                return Err((
                    Status::Forbidden,
                    "the path goes up with \"..\": outside the served folder".into(),
                ));
            }
            name => relative.push(name),
        }
    }
    // Belt and braces: only plain names may remain (no root, no prefix like C:).
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(bad("the path contains something that is not a plain name"));
    }
    Ok(relative)
}

/// Whether `relative` (from [`url_to_relative`]) names a hidden file or
/// folder, or something inside one: a name starting with a dot, except
/// `.well-known` at the top (RFC 8615: `/.well-known/`, not `/a/.well-known/`;
/// and a dotfile inside it is still hidden).
///
/// ```
/// use std::path::Path;
/// assert!(http::files::is_hidden(Path::new(".git/config")));
/// assert!(http::files::is_hidden(Path::new("sub/.env")));
/// assert!(!http::files::is_hidden(Path::new(".well-known/security.txt")));
/// assert!(!http::files::is_hidden(Path::new("a.b/c.txt")));
/// ```
pub fn is_hidden(relative: &Path) -> bool {
    relative.iter().enumerate().any(|(i, name)| {
        let name = name.as_encoded_bytes();
        name.starts_with(b".") && !(i == 0 && name == b".well-known")
    })
}

/// Whether `real`, a canonical path inside the canonical `root`, is hidden
/// (see [`is_hidden`]) by the names it really has below `root`.
fn leads_to_hidden(root: &Path, real: &Path) -> bool {
    real.strip_prefix(root).is_ok_and(is_hidden)
}

/// Where `relative` really leads from `root`, as far as it exists, with
/// every symbolic link on the way followed (`canonicalize`: the system's,
/// or a test's that counts its calls).
///
/// Followed from the root one name at a time, and no further than the
/// first missing name: asking about every shorter path, from the whole one
/// down, made `/a/a/a/…` (4,000 names, an 8 KiB request) cost as many
/// system calls, an easy way to make the server work.
fn reach(
    root: &Path,
    relative: &Path,
    mut canonicalize: impl FnMut(&Path) -> std::io::Result<PathBuf>,
) -> PathBuf {
    let mut reached = root.to_path_buf();
    for name in relative {
        match canonicalize(&reached.join(name)) {
            Ok(real) => reached = real,
            Err(_) => break,
        }
    }
    reached
}

/// Finds the file for `url_path` under `root` (which must be canonical, see
/// [`std::fs::canonicalize`]). A folder is answered with its `index.html`.
///
/// A hidden name (see [`is_hidden`]) is answered `404 Not Found` before the
/// disk is looked at; a path that only leads to one (a link, a Windows short
/// name) is answered as a missing file. `..` is refused (403) before that, by
/// [`url_to_relative`], wherever it is in the path.
///
/// A folder asked for without its final `/` (`/docs`) is refused with
/// `301 Moved Permanently`: the server must send the browser to `/docs/`,
/// as Apache does, or the page's relative links (`style.css`) would be
/// looked for in the parent folder (`/style.css`).
pub fn resolve(root: &Path, url_path: &str) -> Result<PathBuf, Refusal> {
    let relative = url_to_relative(url_path)?;
    let not_found = || (Status::NotFound, format!("there is no file at {url_path}"));
    // Dotfiles (.git/, .env) hold secrets: 404 before the disk is asked, so the answer never depends on what exists.
    if is_hidden(&relative) {
        return Err((
            Status::NotFound,
            format!(
                "{url_path} names a hidden file or folder (a name starting with \".\"): \
                 this server never serves those, whether they exist or not"
            ),
        ));
    }
    let outside = || {
        (
            Status::Forbidden,
            format!("{url_path} leads outside the served folder (a symbolic link?)"),
        )
    };
    let mut path = root.join(&relative);
    // Where the path really leads, as far as it exists: a symbolic link out
    // of the root is refused before anything is told about what lies beyond
    // it (a folder? a missing file?), or those answers would map the disk.
    let reached = reach(root, &relative, |path: &Path| std::fs::canonicalize(path));
    if !reached.starts_with(root) {
        return Err(outside());
    }
    // The names in the URL are not always the names on the disk: a link
    // `env -> .env`, or on Windows the short name `GIT~1` NTFS gives `.git`,
    // lead to a hidden file without naming it. So where the path really
    // leads is judged too, before the 301 that would tell a folder is
    // there, and answered as a missing file is, which tells nothing.
    if leads_to_hidden(root, &reached) {
        return Err(not_found());
    }
    if path.is_dir() {
        if !url_path.ends_with('/') {
            return Err((
                Status::MovedPermanently,
                format!("{url_path} is a folder: its address ends with a /"),
            ));
        }
        path.push("index.html");
    } else if url_path.ends_with('/') {
        // `/a.txt/` names a folder, and a.txt is a file: nothing is there
        // (relative links in a page served there would break, too).
        return Err(not_found());
    }
    // canonicalize follows symbolic links and fails when the file is missing.
    let real = std::fs::canonicalize(&path).map_err(|_| not_found())?;
    if !real.starts_with(root) {
        return Err(outside());
    }
    // The last name too (a folder's `index.html` may be a link to `../.env`).
    if leads_to_hidden(root, &real) {
        return Err(not_found());
    }
    if !real.is_file() {
        return Err(not_found());
    }
    Ok(real)
}

/// Where to send a browser that asked for a folder without its final `/`:
/// `/` + the path's segments + `/`, e.g. `/docs` → `/docs/`.
///
/// Empty and `.` segments are dropped, so the answer always starts with
/// exactly one `/`. This matters: a `Location` starting with `//docs/`
/// means "the site http://docs/" to a browser, so `GET //docs` would let
/// anyone make this server send visitors to another site (an "open
/// redirect"). Segments keep their %-escapes: the answer is still a URL.
///
/// ```
/// assert_eq!(http::files::folder_location("/docs"), "/docs/");
/// assert_eq!(http::files::folder_location("//docs"), "/docs/");
/// assert_eq!(http::files::folder_location("/./a//b%20c"), "/a/b%20c/");
/// ```
pub fn folder_location(url_path: &str) -> String {
    let mut location = String::from("/");
    for segment in url_path.split('/') {
        let is_dot = percent_decode(segment).is_some_and(|s| s.is_empty() || s == b".");
        if !is_dot {
            location.push_str(segment);
            location.push('/');
        }
    }
    location
}

/// The `Content-Type` for a file, from its extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "txt" | "md" | "rs" | "toml" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_become_relative_paths() {
        assert_eq!(url_to_relative("/").unwrap(), PathBuf::new());
        assert_eq!(
            url_to_relative("/a/./b//c.html").unwrap(),
            PathBuf::from("a/b/c.html")
        );
        assert_eq!(
            url_to_relative("/a%20b.txt").unwrap(),
            PathBuf::from("a b.txt")
        );
    }

    #[test]
    fn going_up_is_refused_however_it_is_written() {
        for path in [
            "/..",
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/x",
            "/.%2e/x",
            "/a/%2e%2e%2f%2e%2e/x",
        ] {
            let (status, _) = url_to_relative(path).unwrap_err();
            assert_eq!(status, Status::Forbidden, "{path}");
        }
        for path in ["/a%5c..%5cx", "/a%00b", "/%zz", "/%c3", "relative"] {
            let (status, _) = url_to_relative(path).unwrap_err();
            assert_eq!(status, Status::BadRequest, "{path}");
        }
    }

    #[test]
    fn files_folders_and_links_on_disk() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "a").unwrap();

        assert_eq!(resolve(&root, "/").unwrap(), root.join("index.html"));
        assert_eq!(
            resolve(&root, "/sub/a.txt").unwrap(),
            root.join("sub/a.txt")
        );
        assert_eq!(
            resolve(&root, "/sub/").unwrap_err().0,
            Status::NotFound,
            "no index.html in sub"
        );
        assert_eq!(
            resolve(&root, "/sub").unwrap_err().0,
            Status::MovedPermanently,
            "a folder's address ends with /"
        );
        assert_eq!(resolve(&root, "/missing").unwrap_err().0, Status::NotFound);
        assert_eq!(
            resolve(&root, "/sub/a.txt/").unwrap_err().0,
            Status::NotFound,
            "a file is not a folder"
        );

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
            std::os::unix::fs::symlink(root.join("sub/a.txt"), root.join("inside-link")).unwrap();
            // Whatever lies beyond the link, the same answer: nothing about
            // the outside (a folder? a missing file?) is told.
            for beyond in [
                "/escape/secret.txt",
                "/escape",
                "/escape/",
                "/escape/nope.txt",
            ] {
                assert_eq!(
                    resolve(&root, beyond).unwrap_err().0,
                    Status::Forbidden,
                    "{beyond}"
                );
            }
            assert_eq!(
                resolve(&root, "/inside-link").unwrap(),
                root.join("sub/a.txt")
            );
        }
    }

    /// However many names a path has, the system is asked about each name
    /// at most once, and about none past the first missing one. Every
    /// shorter path used to be asked about, from the whole one down:
    /// `/a/a/a/…` (4,000 names) made thousands of system calls.
    #[test]
    fn a_path_is_followed_no_further_than_its_first_missing_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("a/a")).unwrap();
        let deep = url_to_relative(&"/a".repeat(4000)).unwrap();
        let mut asked = Vec::new();
        let reached = reach(&root, &deep, |path: &Path| {
            asked.push(path.to_path_buf());
            std::fs::canonicalize(path)
        });
        assert_eq!(reached, root.join("a/a"));
        // a, a/a, then a/a/a, which is missing: three questions in all.
        assert_eq!(asked.len(), 3, "{:?}", &asked[..asked.len().min(5)]);
        // And the whole request is the 404 it was.
        let refusal = resolve(&root, &"/a".repeat(4000)).unwrap_err();
        assert_eq!(refusal.0, Status::NotFound);
    }

    #[test]
    fn hidden_names_are_not_found_before_the_disk_is_asked() {
        // The served folder's own name may start with a dot (tempfile's
        // do: ".tmpXXXX"): only the names in the URL count.
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/index.html"), "x").unwrap();
        std::fs::create_dir_all(root.join(".well-known")).unwrap();
        std::fs::write(root.join(".well-known/a.txt"), "a").unwrap();
        std::fs::write(root.join("b.txt"), "b").unwrap();
        // A folder: not even the 301 that would tell it exists.
        for path in ["/.git", "/.git/", "/%2Egit/", "/.missing", "/./.git/"] {
            assert_eq!(
                resolve(&root, path).unwrap_err().0,
                Status::NotFound,
                "{path}"
            );
        }
        assert_eq!(
            resolve(&root, "/.well-known/a.txt").unwrap(),
            root.join(".well-known/a.txt")
        );
        assert_eq!(resolve(&root, "/b.txt").unwrap(), root.join("b.txt"));
        // ".." keeps its own answer, even after a hidden name.
        assert_eq!(
            resolve(&root, "/.git/../b.txt").unwrap_err().0,
            Status::Forbidden
        );
    }

    /// A name that is not hidden but leads to a hidden file: a symbolic
    /// link here; on Windows, the short name `GIT~1` that NTFS gives
    /// `.git` (the OS resolves it to the long name, as it does a link).
    /// What is served is judged by where the path really leads, and the
    /// answer is that of a missing file, which tells nothing either.
    #[cfg(unix)]
    #[test]
    fn a_name_leading_to_a_hidden_file_is_not_found_too() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/config"), "secret").unwrap();
        std::fs::write(root.join(".env"), "secret").unwrap();
        std::fs::create_dir_all(root.join(".well-known")).unwrap();
        std::fs::write(root.join(".well-known/a.txt"), "a").unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(root.join(".env"), root.join("env-link")).unwrap();
        std::os::unix::fs::symlink(root.join(".git"), root.join("git-link")).unwrap();
        std::os::unix::fs::symlink("../.env", root.join("sub/index.html")).unwrap();
        std::os::unix::fs::symlink(root.join(".well-known"), root.join("wk")).unwrap();
        let missing = resolve(&root, "/missing").unwrap_err();
        for path in [
            "/env-link",
            "/git-link",
            "/git-link/",
            "/git-link/config",
            "/sub/",
        ] {
            let refusal = resolve(&root, path).unwrap_err();
            assert_eq!(refusal.0, Status::NotFound, "{path}: {refusal:?}");
            assert_eq!(
                refusal.1.replace(path, "X"),
                missing.1.replace("/missing", "X"),
                "{path}: the same words as for a missing file"
            );
        }
        // Into /.well-known/, the public folder, a link is fine.
        assert_eq!(
            resolve(&root, "/wk/a.txt").unwrap(),
            root.join(".well-known/a.txt")
        );
    }

    #[test]
    fn a_folder_redirect_never_leaves_the_site() {
        for (path, location) in [
            ("/docs", "/docs/"),
            ("//docs", "/docs/"),
            ("///evil.example//x", "/evil.example/x/"),
            ("/%2e/docs", "/docs/"),
            ("/a/b", "/a/b/"),
        ] {
            assert_eq!(folder_location(path), location, "{path}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(
            content_type(Path::new("a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.png")), "image/png");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
